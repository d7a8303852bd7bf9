"""One hit per publication, the same number everywhere: for several searches the
count the search page shows equals the API's `total`, the export's rows and the
feed's total (and its entries, up to the feed's length). The feed lists newest first,
so it counts what the page counts sorted by date: the full matches.

This holds the engine's counting decision (landing page and its PDF as one hit,
near-duplicates collapsed) across every rendering."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest

from search_app.feed import FEED_ENTRIES

ATOM = "{http://www.w3.org/2005/Atom}"
SEARCHES = [
    "q=jeugdraad",
    "",
    "q=BOA",
    "q=handboek+jeugdraad",
    "q=nieuwe+besturen+schepen+van+jeugd",
    "q=jeugd&type=publicatie",
]


@pytest.mark.parametrize("query", SEARCHES)
def test_page_api_export_and_feed_count_the_same(client, query):
    html = client.get("/?" + query).get_data(as_text=True)
    page = int(re.search(r'class="telling"[^>]*>\s*(\d+)', html).group(1))
    api = client.get("/api/v1/search?" + query).get_json()["total"]
    export = client.get("/export?format=csv&" + query)
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"), newline="")))[1:]
    feed = ET.fromstring(client.get("/feed.atom?" + query).data)
    feed_total = int(re.search(r"\((\d+) in totaal\)", feed.find(f"{ATOM}subtitle").text)[1])
    entries = feed.findall(f"{ATOM}entry")
    assert (page, api, len(rows), int(export.headers["X-Total-Count"])) == (page,) * 4
    by_date = query + "&sort=date"
    html = client.get("/?" + by_date).get_data(as_text=True)
    newest = int(re.search(r'class="telling"[^>]*>\s*(\d+)', html).group(1))
    assert client.get("/api/v1/search?" + by_date).get_json()["total"] == newest
    assert feed_total == newest <= page and len(entries) == min(newest, FEED_ENTRIES)
