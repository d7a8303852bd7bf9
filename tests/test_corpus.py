"""The bundled sample corpus, crawled and indexed for real: sizes, facets and every
edge case listed in corpus/sites/EDGE_CASES.md."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest

from crawler.crawl import Crawler
from crawler.store import CrawlStore
from indexer.engine import SearchIndex, SearchRequest
from indexer.schema import doc_id

THEMES = {
    "beleidsparticipatie", "jeugdraad", "kinderrechten", "kindvriendelijkheid",
    "brede jeugdreflex", "speelruimte", "vrije tijd", "mobiliteit", "BOA", "jeugdwerk",
    "meerjarenplan", "kwetsbare jongeren", "verkiezingen", "onderwijs", "welzijn",
}  # fmt: skip
AUDIENCES = {"jeugdambtenaar", "schepen", "jeugdraad", "kinderen en jongeren", "onderzoeker"}
TYPES = {"visietekst", "methodiek", "praktijkvoorbeeld", "filmpje", "nieuws", "publicatie"}
SITES = {"bataljong.be", "vvsg.be", "kindvriendelijkestedenengemeenten.be", "debattle.be"}

KSG = "https://kindvriendelijkestedenengemeenten.be"


@pytest.fixture(scope="module")
def store(sample_data):
    with CrawlStore(sample_data / "crawl.sqlite") as s:
        yield s


@pytest.fixture(scope="module")
def urls(store):
    return {d.url for d in store.documents()}


@pytest.fixture(scope="module")
def index(sample_data):
    return SearchIndex(sample_data)


def _facets(index, **kw):
    result = index.search(SearchRequest(per_page=1, facet_limit=1000, **kw))
    return result, {k: {f.value: f.count for f in v} for k, v in result.facets.items()}


def test_corpus_size_and_facet_values(index):
    result, facets = _facets(index)
    assert result.total >= 220
    assert set(facets["site"]) == SITES
    assert min(facets["site"].values()) >= 35
    assert set(facets["type"]) == TYPES
    assert min(facets["type"].values()) >= 20
    assert set(facets["theme"]) == THEMES
    assert set(facets["audience"]) == AUDIENCES
    years = {int(y) for y in facets["year"]}
    assert min(years) == 2014 and max(years) == 2026


def test_robots_disallowed_pages_are_never_fetched(mirror, sources):
    source = sources.get("bataljong")
    crawler = Crawler(
        _tmp_store(), sources.settings, route=mirror.url, polite=False, progress=False
    )
    report = crawler.run([source])
    requested = mirror.paths_requested("www.bataljong.be")
    assert "/robots.txt" in requested
    assert not [p for p in requested if p.startswith("/intern/")]
    assert report.sources["bataljong"].counts["robots_refused"] == 2


def _tmp_store():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="kb-robots-")) / "crawl.sqlite"


def test_disallowed_noindex_and_hidden_pages_not_indexed(urls):
    assert not [u for u in urls if "/intern/" in u or "/admin" in u or "/zoeken" in u]
    assert "https://www.vvsg.be/print/jeugd/tools/checklist-speelstraat-aanvragen" not in urls
    # Only reachable through a nofollow page: a polite crawler never finds it.
    assert "https://www.debattle.be/tools/verborgen-werkblad" not in urls
    assert "https://www.debattle.be/tools/werkbladen-overzicht" in urls


def test_sitemap_only_page_is_indexed(urls):
    assert "https://www.bataljong.be/nieuws/ledenbevraging-2024-resultaten/" in urls


def test_canonical_duplicate_indexed_once(urls, store):
    canonical = f"{KSG}/inspiratie/speelstraten-heel-de-zomer-in-kempenhout.html"
    copy = f"{KSG}/nieuws/2019/speelstraten-heel-de-zomer-in-kempenhout.html"
    assert canonical in urls and copy not in urls
    assert store.page_state(copy).status == "duplicate"


def test_tracking_parameters_collapsed(urls):
    assert not [u for u in urls if "utm_" in u or "fbclid" in u or "?" in u]
    assert "https://www.bataljong.be/films/speelstraat-in-beeld/" in urls


def test_redirect_and_missing_page(urls, store):
    assert "https://www.vvsg.be/jeugd/praktijkvoorbeelden/netevoort-boa-regisseur" in urls
    assert "https://www.vvsg.be/jeugd/oud/netevoort-boa-regisseur" not in urls
    assert store.page_state("https://www.vvsg.be/jeugd/oud/netevoort-boa-regisseur").status == (
        "redirect"
    )
    missing = store.page_state("https://www.vvsg.be/jeugd/tools/verdwenen-checklist")
    assert missing is not None and missing.status == "gone"


def test_windows_1252_page_decoded_and_searchable(store, index):
    url = "https://www.vvsg.be/nieuws/reunie-jeugdconsulenten-limburg"
    doc = store.document(url)
    for word in ("geïnteresseerd", "ideeën", "coördinator", "financiële", "reünie"):
        assert word in doc.text or word in doc.title, word
    assert "\ufffd" not in doc.text and "Ã" not in doc.text
    for query in ("geïnteresseerd coördinator reünie", "geinteresseerd coordinator reunie"):
        hits = index.search(SearchRequest(query=query)).hits
        assert hits and hits[0].url == url, query


def test_every_pdf_is_extracted_and_searchable(store, index):
    pdfs = [d for d in store.documents() if d.content_type == "application/pdf"]
    assert len(pdfs) >= 8
    others = {d.url: " ".join(re.findall(r"\w+", d.text.lower())) for d in store.documents()}
    for doc in pdfs:
        assert doc.word_count > 300 and doc.doc_type == "publicatie"
        # A run of words from the middle of the PDF's text, found in no other document,
        # finds the PDF first.
        words = re.findall(r"\w+", doc.text.lower())
        start = len(words) // 2
        while True:
            phrase = " ".join(words[start : start + 7])
            if not any(phrase in t for u, t in others.items() if u != doc.url):
                break
            start += 7
        hits = index.search(SearchRequest(query=f'"{phrase}"')).hits
        # A PDF with a landing page is found as that page, with the PDF attached.
        first = hits[0].pdf.id if hits and hits[0].pdf else hits[0].id if hits else None
        assert first == doc_id(doc.url), (doc.url, phrase)


def test_dates_and_metadata_from_markup(store):
    docs = list(store.documents())
    assert all(d.date for d in docs if d.content_type == "text/html")
    by_site: dict[str, int] = {}
    for d in docs:
        if d.themes and d.audience:
            by_site[d.site] = by_site.get(d.site, 0) + 1
    # Themes and audiences come from each site's own markup (css:, meta:, label: rules).
    assert set(by_site) == SITES


def test_crawl_delay_from_robots_is_honoured(mirror, sources):
    source = replace(sources.get("kindvriendelijke-steden"), max_pages=3, sitemaps=(), delay=0.0)
    crawler = Crawler(_tmp_store(), sources.settings, route=mirror.url, polite=True, progress=False)
    started = time.monotonic()
    crawler.run([source])
    elapsed = time.monotonic() - started
    pages = [
        p
        for p in mirror.paths_requested("kindvriendelijkestedenengemeenten.be")
        if p != "/robots.txt"
    ]
    assert len(pages) >= 2
    # Crawl-delay: 2 between the page requests (robots.txt itself is not delayed).
    assert elapsed >= 2.0 * (len(pages) - 1) - 0.2
