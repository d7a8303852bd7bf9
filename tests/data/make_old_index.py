"""Builds the small index kept under tests/data/index-v1/ (see its README.md).

Run once per release whose index format must stay readable, into a NEW folder
(index-v2, ...): an existing fixture is never rebuilt, since its point is to be an index
written by older code. Usage: KENNISBANK_DENSE=0 python tests/data/make_old_index.py OUT
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from crawler.store import CrawlStore, Document
from indexer.build import update_index

# Fictional Dutch pages, written for this fixture.
PAGES = [
    (
        "https://www.vvsg.be/oud/speelstraat",
        "Speelstraat in de Lindewijk",
        "nieuws",
        "In de zomer wordt de Lindestraat een speelstraat: kinderen spelen op straat en "
        "buren zetten tafels buiten.",
        ["Spelen"],
        "2024-06-12",
    ),
    (
        "https://www.vvsg.be/oud/jeugdraad",
        "Jeugdraad kiest nieuw bestuur",
        "nieuws",
        "De jeugdraad van Beekdonk koos een nieuw bestuur en vraagt meer fuifruimte voor jongeren.",
        ["Participatie"],
        "2024-09-03",
    ),
    (
        "https://www.kekidi.be/oud/opvang",
        "Buitenschoolse opvang na de school",
        "praktijk",
        "Buitenschoolse opvang biedt kinderen na schooltijd spel, rust en huiswerkbegeleiding.",
        ["Kinderopvang"],
        "2023-11-20",
    ),
    (
        "https://www.kekidi.be/oud/jeugdwerk",
        "Jeugdwerk zoekt lokalen",
        "praktijk",
        "Het jeugdwerk in Oosterveld zoekt lokalen: de scouts en de chiro delen nu één zaal.",
        ["Jeugdwerk"],
        "2025-01-15",
    ),
    (
        "https://www.debattle.be/oud/beleidsplan",
        "Meerjarenplan jeugdbeleid",
        "beleid",
        "Het meerjarenplan legt de doelen van het lokaal jeugdbeleid vast: speelruimte, "
        "participatie en jeugdwerk.",
        ["Participatie", "Spelen"],
        "2025-03-01",
    ),
    (
        "https://www.debattle.be/oud/fuif",
        "Fuifbeleid voor jongeren",
        "beleid",
        "Een fuifbeleid helpt jongeren veilig te feesten: een fuifzaal, een draaiboek en "
        "afspraken met de buren.",
        ["Jeugdwerk"],
        "2022-05-30",
    ),
]


def build(out: Path) -> None:
    out.mkdir(parents=True)
    store = CrawlStore(out / "crawl.sqlite")
    for url, title, doc_type, text, themes, date in PAGES:
        doc = Document(
            url=url,
            source="fixture",
            title=title,
            text=text,
            doc_type=doc_type,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            fetched_at="2026-12-06T00:00:00+00:00",
            date=date,
            themes=themes,
        )
        store.save_document(doc, http_status=200, final_url=url, etag=None, last_modified=None)
    store.close()
    update_index(out, progress=False)
    # Only the index is the fixture: the crawl store and lock files are not needed to
    # open and search it.
    for item in [*out.glob("crawl.sqlite*"), *out.rglob("*LOCK*"), *out.rglob("*.lock")]:
        item.unlink()


if __name__ == "__main__":
    build(Path(sys.argv[1]))
