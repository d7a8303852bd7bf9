"""The HTML search UI through the Flask test client: facets with toggle links and
counts, chips, sort, pagination, escaping, the zero-results page, near-duplicates
shown once, OpenSearch, exports and feed links, the document and the Bronnen page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.config import load_sources
from indexer import neardup
from search_app import settings
from search_app.sources_view import schedule_interval, source_status


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _facet_links(html: str, facet: str) -> list[tuple[str, str]]:
    """(aria-label, href) of every value link in one facet section."""
    section = re.search(
        rf'<section class="facet" id="facet-{facet}".*?</section>', html, re.S
    ).group(0)
    return [
        (unescape(label), unescape(href))
        for href, label in re.findall(r'<a href="([^"]+)"[^>]*?aria-label="([^"]+)"', section, re.S)
    ]


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_facet_values_have_counts_labels_and_toggle_links(client):
    html = _page(client, "/?q=jeugdraad")
    links = _facet_links(html, "theme")
    assert links, "the theme facet has values"
    label, href = links[0]
    assert re.fullmatch(r".+, \d+ document(en)?", label)
    assert _query(href)["theme"] == [label.split(",")[0]]
    assert _query(href)["q"] == ["jeugdraad"]


def test_or_within_a_facet_and_across_facets(client, app):
    one = _page(client, "/?type=methodiek")
    two = _page(client, "/?type=methodiek&type=visietekst")
    total = lambda h: int(re.search(r'class="telling">\s*(\d+)', h).group(1))  # noqa: E731
    assert total(two) > total(one)
    # The selected facet still shows its alternatives with their own counts.
    labels = [label for label, _ in _facet_links(one, "type")]
    assert any(label.startswith("Visietekst,") for label in labels)
    assert any(label.endswith(", gekozen") for label in labels)
    narrowed = _page(client, "/?type=methodiek&site=bataljong.be")
    assert total(narrowed) < total(one)


def test_chips_remove_one_filter_and_clear_all(client):
    html = _page(client, "/?q=jeugd&type=methodiek&theme=participatie&year_from=2020")
    chips = re.search(r'<ul class="chips".*?</ul>', html, re.S).group(0)
    hrefs = [unescape(h) for h in re.findall(r'href="([^"]+)"', chips)]
    assert len(hrefs) == 4  # three filters and "alles wissen"
    without_type = _query(hrefs[0])
    assert "type" not in without_type and without_type["theme"] == ["participatie"]
    assert _query(hrefs[-1]) == {"q": ["jeugd"]}


def test_sort_page_size_and_pages_live_in_the_url(client):
    html = _page(client, "/?q=jeugd&per_page=20")
    assert 'href="/?q=jeugd&amp;sort=date&amp;per_page=20"' in html
    assert 'aria-label="Pagina 2"' in html and 'rel="next"' in html
    assert '<strong aria-current="true">20</strong>' in html
    capped = _page(client, "/?q=jeugd&per_page=100000")
    total = client.get("/api/v1/search?q=jeugd").get_json()["total"]
    assert total > 0
    assert capped.count('<li class="hit" id="hit-') == min(settings.MAX_PER_PAGE, total)
    page2 = _page(client, "/?q=jeugd&page=2")
    assert 'start="11"' in page2 and 'rel="prev"' in page2


def test_date_sort_puts_newest_first(client):
    html = _page(client, "/?q=jeugd&sort=date")
    dates = re.findall(r'<time datetime="([\d-]+)"', html)
    assert dates and dates == sorted(dates, reverse=True)


def test_script_in_the_query_is_escaped(client):
    html = _page(client, "/?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_snippets_mark_query_words(client):
    html = _page(client, "/?q=jeugdraad")
    assert "<mark>" in html


def test_zero_results_page_offers_filters_to_lift(client):
    html = _page(client, "/?q=jeugdraad&type=filmpje&site=debattle.be&year_to=1990")
    assert "Geen documenten gevonden" in html
    assert "Zonder filter" in html and "Wis alle filters" in html
    plain = _page(client, "/?q=qwxzyv")
    assert "Controleer de spelling" in plain


def test_near_duplicates_shown_once_with_ook_op(client):
    html = _page(client, "/?q=nieuwe+besturen+schepen+van+jeugd&per_page=50")
    title = "Bijna alle nieuwe besturen kiezen voor een schepen van jeugd"
    assert html.count(f">{title}</a></h2>") == 1
    ook_op = re.search(r'<p class="ookop">.*?</p>', html, re.S).group(0)
    assert len(re.findall(r"<a ", ook_op)) == 2


def test_api_collapses_like_the_page(client):
    data = client.get("/api/v1/search?q=nieuwe+besturen+schepen+van+jeugd&per_page=50").json
    title = "Bijna alle nieuwe besturen kiezen voor een schepen van jeugd"
    hits = [r for r in data["results"] if r["title"] == title]
    assert len(hits) == 1 and len(hits[0]["copies"]) == 2
    assert {c["title"] for c in hits[0]["copies"]} == {title}


def test_export_and_feed_links_carry_the_search_state(client):
    html = _page(client, "/?q=jeugdraad&theme=participatie&page=2&per_page=20")
    for fmt in ("csv", "json", "jsonl", "ris", "bibtex"):
        href = re.search(rf'href="(/export\?format={fmt}[^"]*)"', html).group(1)
        assert _query(unescape(href)) == {
            "format": [fmt],
            "q": ["jeugdraad"],
            "theme": ["participatie"],
        }
    assert 'rel="alternate" type="application/atom+xml"' in html
    assert "Volg deze zoekopdracht" in html


def test_opensearch_description(client):
    response = client.get("/opensearch.xml")
    assert response.mimetype == "application/opensearchdescription+xml"
    assert "/?q={searchTerms}" in response.get_data(as_text=True)
    assert 'rel="search"' in _page(client, "/")


def test_security_headers_forbid_inline_script(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)


def test_document_page_shows_stored_text_and_similar(client):
    data = client.get("/api/v1/search?q=jeugdraad&per_page=1").json
    html = _page(client, f"/doc/{data['results'][0]['id']}")
    assert "Opgeslagen versie" in html and "Vergelijkbare documenten" in html
    assert "Originele URL" in html


def test_bronnen_page_lists_every_source(client):
    html = _page(client, "/bronnen")
    for source in load_sources(settings.SOURCES_FILE).sources:
        assert f'id="bron-{source.name}"' in html
    assert "actueel" in html and "Volgende crawl" in html


def _run(ended: datetime, report: dict) -> dict:
    return {"ended_at": ended.isoformat(), "sources": list(report), "report": {"sources": report}}


def test_source_status_counts_304_share_errors_and_staleness():
    source = load_sources(settings.SOURCES_FILE).sources[0]
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    week = schedule_interval(source.schedule, now)
    ok = {
        "counts": {"fetched": 10, "not_modified": 4, "robots_refused": 2, "errors": 1},
        "errors": [{"url": "https://x/1", "kind": "timeout", "message": "te traag"}],
        "failed": False,
    }
    failed = {"counts": {"fetched": 1}, "errors": [], "failed": True, "reason": "host down"}
    status = source_status(
        source,
        [
            _run(now - timedelta(hours=1), {source.name: failed}),
            _run(now - week, {source.name: ok}),
        ],
        documents=7,
        now=now,
    )
    assert status.last_failed and "host down" in status.last_result
    assert status.last_success == now - week and not status.stale
    old = source_status(source, [_run(now - 3 * week, {source.name: ok})], 7, now)
    assert old.stale and old.not_modified_share == pytest.approx(0.4)
    assert old.robots_refused == 2 and old.errors[0]["kind"] == "timeout"
    assert source_status(source, [], 0, now).stale


def test_neardup_groups_edited_copies_but_not_related_texts():
    words = [f"woord{i}" for i in range(300)]
    original = " ".join(words)
    edited = "Overgenomen van een partner. " + " ".join(words[:280]) + " Meer op onze site."
    related = " ".join(words[:60] + [f"ander{i}" for i in range(240)])
    groups = neardup.find_groups([("a", original), ("b", edited), ("c", related), ("d", "kort")])
    assert groups == {"a": "a", "b": "a"}
