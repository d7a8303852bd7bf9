"""The Atom feed of a search: valid XML with the required Atom elements, newest first,
the same matches as the API."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from search_app.feed import FEED_ENTRIES

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client, query: str) -> ET.Element:
    resp = client.get("/feed.atom?" + query)
    assert resp.status_code == 200
    assert resp.content_type.startswith("application/atom+xml")
    assert resp.data.startswith(b"<?xml")
    return ET.fromstring(resp.data)


def test_feed_has_required_elements(client):
    root = _feed(client, "q=jeugdraad")
    assert root.tag == ATOM + "feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(ATOM + tag) is not None, tag
    assert root.find(ATOM + "link[@rel='self']") is not None
    entries = root.findall(ATOM + "entry")
    assert entries
    for entry in entries:
        for tag in ("id", "title", "updated", "summary"):
            assert (entry.findtext(ATOM + tag) or "").strip(), tag
        assert entry.find(ATOM + "link").get("href").startswith("http")
        assert entry.findtext(ATOM + "updated")[:4].isdigit()


def test_feed_is_newest_first_and_matches_the_api(client):
    root = _feed(client, "q=jeugdraad&type=visietekst")
    entries = root.findall(ATOM + "entry")
    api = client.get("/api/v1/search?q=jeugdraad&type=visietekst&sort=date&per_page=100").get_json()
    assert len(entries) == min(api["total"], FEED_ENTRIES)
    urls = [e.find(ATOM + "link").get("href") for e in entries]
    assert urls == [r["url"] for r in api["results"]][: len(urls)]
    published = [e.findtext(ATOM + "published") for e in entries]
    published = [p for p in published if p is not None]
    assert published
    assert published == sorted(published, reverse=True)


def test_feed_is_capped_and_escapes_input(client):
    root = _feed(client, "q=%3Cscript%3Ejeugd%26co")
    assert len(root.findall(ATOM + "entry")) <= FEED_ENTRIES
    assert root.findtext(ATOM + "title").endswith("<script>jeugd&co")
    assert len(_feed(client, "").findall(ATOM + "entry")) == FEED_ENTRIES
