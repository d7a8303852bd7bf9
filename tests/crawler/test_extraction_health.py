"""Extraction health and cross-page template removal in real crawls: a selector that
misses on most pages is a warning in the run report, in `kennisbank crawl`'s output
and exit code, and on the "Bronnen" page; walls of near-identical pages are a warning;
lines on most of a source's pages are stripped, and stay stripped without the page
counting as changed on the next crawl."""

from __future__ import annotations

import random
import re

from click.testing import CliRunner
from conftest import BASE, page

from crawler.store import CrawlStore
from search_app import create_app
from search_app.cli import main

SOURCES_TOML = """
[crawler]
timeout = 5
retries = 1
backoff = 0.05

[[sources]]
name = "test"
title = "Testbron"
start_urls = ["http://test.example/"]
allowed_domains = ["test.example"]
follow_only = ['^http://test\\.example/$']
delay = 0
{metadata}
"""

SENTENCES = [
    "De jeugdraad vergaderde over de nieuwe speelpleinen in de deelgemeenten.",
    "Jongeren vroegen meer fietsenstallingen bij de jeugdhuizen.",
    "Het college antwoordde dat de begroting ruimte laat voor twee extra pleinen.",
    "Ouders en begeleiders schreven samen een advies over het vakantieaanbod.",
    "De jeugddienst organiseert in het najaar een bevraging bij kinderen.",
    "Een speelstraat vraagt een aanvraag bij de gemeente, minstens zes weken vooraf.",
    "De kinderburgemeester opende het nieuwe skatepark aan de sporthal.",
    "Jeugdbewegingen zoeken lokalen die het hele jaar bruikbaar zijn.",
    "Het meerjarenplan noemt kinderrechten uitdrukkelijk als prioriteit.",
    "Tieners willen een plek om af te spreken zonder iets te moeten kopen.",
    "De brede school werkt samen met de bibliotheek en het sportkamp.",
    "Een jeugdconsulent helpt verenigingen bij hun subsidiedossier.",
    "In de zomer trekt de speelbus langs de kleinere dorpen.",
    "Kinderen tekenden hun ideale schoolroute op een grote kaart.",
    "De adviesraad vraagt dat jongeren mee beslissen over het budget.",
    "Het jeugdhuis zoekt vrijwilligers voor de bar en de concerten.",
]


def _body(n: int) -> str:
    """Six sentences per page, a different choice and order on each."""
    rng = random.Random(n)
    return f"Verslag uit Gemeente{n}. " + " ".join(rng.sample(SENTENCES, 6))


def _article_page(n: int) -> str:
    """A document page whose content sits in <main><div class="inhoud">."""
    return page(f"Verslag {n}", _body(n)).replace("<main>", '<main><div class="inhoud">', 1)


def _site(site, pages: int, metadata: str = "") -> object:
    docs = tuple(f"/doc/{i}" for i in range(pages))
    site.file("/", page("Home", links=docs))
    for i, doc in enumerate(docs):
        site.file(doc, _article_page(i))
    sources_file = site.data_dir.parent / "sources.toml"
    sources_file.write_text(SOURCES_TOML.format(metadata=metadata))
    site.data_dir.mkdir(parents=True, exist_ok=True)
    return sources_file


def _crawl(site, sources_file, *, index: bool = False):
    args = ["crawl", "--sources", str(sources_file), "--data-dir", str(site.data_dir)]
    args += ["--route", site.mirror.url]
    return CliRunner().invoke(main, args if index else [*args, "--no-index"])


def _last_report(site) -> dict:
    with CrawlStore(site.store_path) as store:
        return store.last_runs(1)[0]["report"]["sources"]["test"]


def test_selector_missing_on_most_pages_is_a_warning_and_an_exit_code(site):
    # The site was "redesigned": the configured container is gone from every page.
    sources_file = _site(site, 6, '[sources.metadata]\ncontent = "article.oude-inhoud"')
    result = _crawl(site, sources_file, index=True)  # /bronnen reads the index too
    assert result.exit_code == 3, result.output
    assert "WAARSCHUWING" in result.output and "article.oude-inhoud" in result.output

    report = _last_report(site)
    health = report["health"]
    assert health["pages"] == 6 and health["selector_missed"] == 6
    assert [w["kind"] for w in health["warnings"]] == ["selector_missed"]
    assert health["methods"] == {"generic": 6}
    assert health["median_chars"] > 300
    assert not report["failed"]  # the pages are in; the source did not fail
    status = CliRunner().invoke(main, ["status", "--data-dir", str(site.data_dir)])
    assert "WAARSCHUWING" in status.output and "article.oude-inhoud" in status.output
    # The generic path still gave the text, without the menu or the footer.
    doc = site.documents()[f"{BASE}/doc/3"]
    assert "Gemeente3" in doc.text and "Teststraat" not in doc.text and "Menu" not in doc.text

    # On /bronnen the warning shows in the health section.
    app = create_app(
        {"DATA_DIR": str(site.data_dir), "SOURCES_FILE": str(sources_file), "TESTING": True}
    )
    html = app.test_client().get("/bronnen").get_data(as_text=True)
    section = html[html.index('id="extractie-test"') :]
    assert "waarschuwing" in section and "6 van 6" in section
    assert "article.oude-inhoud" in section


def test_selector_that_matches_stays_first_and_no_warning(site):
    sources_file = _site(site, 6, '[sources.metadata]\ncontent = "main .inhoud"')
    result = _crawl(site, sources_file)
    assert result.exit_code == 0, result.output
    assert "WAARSCHUWING" not in result.output
    health = _last_report(site)["health"]
    assert health["selector_missed"] == 0 and health["methods"] == {"selector": 6}
    assert health["warnings"] == []


def test_a_wall_of_near_identical_pages_is_a_warning(site):
    sources_file = _site(site, 3)
    wall = "Meld je aan om deze pagina te lezen. Nog geen account? Registreer je gratis."
    for i in range(3, 9):  # six pages behind a login wall (each keeps its own title)
        site.file(f"/doc/{i}", page(f"Verslag {i}", wall))
    site.file("/", page("Home", links=tuple(f"/doc/{i}" for i in range(9))))
    result = _crawl(site, sources_file)
    assert result.exit_code == 3, result.output
    health = _last_report(site)["health"]
    assert health["near_duplicates"] == 6
    assert [w["kind"] for w in health["warnings"]] == ["near_duplicates"]
    assert all(re.search(r"/doc/[3-8]$", u) for u in health["near_duplicate_examples"][0])


def test_template_lines_are_stripped_and_stay_stripped(site):
    sources_file = _site(site, 12)
    notice = "Schrijf je in op de nieuwsbrief voor jeugdwerkers en mis niets."
    for i in range(12):  # a line inside the content container of every page
        html = _article_page(i).replace("</main>", f"<p>{notice}</p></main>")
        site.file(f"/doc/{i}", html)
    first = _crawl(site, sources_file)
    assert first.exit_code == 0, first.output
    report = _last_report(site)
    assert report["counts"]["template_stripped"] == 12
    docs = site.documents()
    assert len(docs) == 12
    assert all(notice not in d.text and "Gemeente" in d.text for d in docs.values())

    second = _crawl(site, sources_file)  # the mirror sends no validators: all re-extracted
    assert second.exit_code == 0, second.output
    counts = _last_report(site)["counts"]
    assert counts.get("changed", 0) == 0 and counts["unchanged"] == 12
    assert counts.get("template_stripped", 0) == 0
    assert all(notice not in d.text for d in site.documents().values())
