"""Search through the Flask test client on the real, indexed sample corpus."""

from __future__ import annotations

import pytest

from crawler.store import CrawlStore
from indexer.schema import doc_id


def _docs(sample_data):
    with CrawlStore(sample_data / "crawl.sqlite") as store:
        return list(store.documents())


def test_title_search_finds_that_page_first(client, sample_data):
    docs = _docs(sample_data)
    titles = {}
    for d in docs:
        titles.setdefault(d.title, []).append(d)
    unique = [ds[0] for ds in titles.values() if len(ds) == 1]
    assert len(unique) >= 40
    for doc in unique[::5]:
        body = client.get("/api/v1/search", query_string={"q": doc.title}).get_json()
        assert body["results"], doc.title
        assert body["results"][0]["id"] == doc_id(doc.url), (doc.title, body["results"][0])


def test_word_from_one_page_ranks_it_first(client, sample_data):
    # A word that occurs in exactly one document must bring that document first.
    docs = _docs(sample_data)
    seen: dict[str, set[str]] = {}
    for d in docs:
        for w in set(d.text.lower().split()):
            if w.isalpha() and len(w) > 9:
                seen.setdefault(w, set()).add(d.url)
    rare = sorted(w for w, urls in seen.items() if len(urls) == 1)
    assert rare
    word = rare[len(rare) // 2]
    url = next(iter(seen[word]))
    body = client.get("/api/v1/search", query_string={"q": word}).get_json()
    assert body["results"][0]["url"] == url


def test_contract_shape(client):
    body = client.get("/api/v1/search?q=jeugdraad").get_json()
    assert set(body) == {
        "query",
        "total",
        "page",
        "per_page",
        "results",
        "facets",
        "suggestion",
        "corrected",
        "not_found",
    }
    assert set(body["facets"]) == {"site", "type", "theme", "audience", "year"}
    hit = body["results"][0]
    assert set(hit) == {
        "id",
        "url",
        "title",
        "site",
        "type",
        "themes",
        "audience",
        "date",
        "snippet",
        "score",
        "match",
        "pdf",
        "copies",
    }
    assert "<mark>" in hit["snippet"]


def test_each_facet_count_is_the_total_its_filter_gives(client):
    # A publication counts once; a near-duplicate on two sites counts under each site,
    # since filtering on either finds it: so the counts add up to at least the total.
    for q in ("jeugdraad", "kinderen", "", "speelruimte gemeente"):
        body = client.get("/api/v1/search", query_string={"q": q}).get_json()
        assert body["total"] > 0
        for facet in ("site", "type"):
            values = body["facets"][facet]
            assert sum(v["count"] for v in values) >= body["total"], (q, facet)
            for value in values:
                narrowed = client.get(
                    "/api/v1/search", query_string={"q": q, facet: value["value"]}
                ).get_json()
                assert narrowed["total"] == value["count"], (q, facet, value)


def test_filter_narrows_and_matches_its_count(client):
    body = client.get("/api/v1/search?q=jeugd").get_json()
    site = body["facets"]["site"][0]
    narrowed = client.get("/api/v1/search", query_string={"q": "jeugd", "site": site["value"]})
    nb = narrowed.get_json()
    assert nb["total"] == site["count"] < body["total"]
    assert all(r["site"] == site["value"] for r in nb["results"])
    # Disjunctive: the site facet still lists the other sites with their counts.
    assert len(nb["facets"]["site"]) == len(body["facets"]["site"])


def test_two_values_in_one_facet_combine_with_or(client):
    types = client.get("/api/v1/search?q=jeugd").get_json()["facets"]["type"]
    a, b = types[0], types[1]
    both = client.get(
        "/api/v1/search", query_string=[("q", "jeugd"), ("type", a["value"]), ("type", b["value"])]
    ).get_json()
    assert both["total"] == a["count"] + b["count"]


def test_pagination(client):
    p1 = client.get("/api/v1/search?q=jeugd&per_page=5").get_json()
    p2 = client.get("/api/v1/search?q=jeugd&per_page=5&page=2").get_json()
    assert p1["total"] == p2["total"] > 10
    ids1 = {r["id"] for r in p1["results"]}
    ids2 = {r["id"] for r in p2["results"]}
    assert len(ids1) == len(ids2) == 5 and not ids1 & ids2


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=0",
        "page=abc",
        "per_page=100000",
        "per_page=0",
        "q=" + "x" * 10000,
        'q="unbalanced',
        "q=(((",
        "q=)",
        "q=AND",
        "q=OR",
        "q=NOT",
        "q=-",
        "q=*",
        "q=%00",
        "q=%ff%fe",
        "sort=sideways",
        "year_from=abc",
        "year_from=2030&year_to=2020",
        "year_from=99999999999",
        "site=" + "s" * 5000,
        "q=jeugd&page=1000000000",
        "q=<script>alert(1)</script>",
        "q=%F0%9F%98%80+%D7%A9%D7%9C%D7%95%D7%9D",
    ],
)
def test_bad_parameters_never_500(client, query):
    for path in ("/api/v1/search?", "/?"):
        resp = client.get(path + query)
        assert resp.status_code in (200, 400), (path, query, resp.status_code)
        if path.startswith("/api") and resp.status_code == 400:
            assert set(resp.get_json()) == {"error", "status"}
        assert b"<script>alert(1)" not in resp.data


def test_per_page_is_capped(client):
    body = client.get("/api/v1/search?per_page=100000").get_json()
    assert body["per_page"] == 100 and len(body["results"]) == 100


def test_html_page_escapes_snippets_and_query(client):
    resp = client.get("/", query_string={"q": '<script>alert("x")</script> jeugdraad'})
    assert resp.status_code == 200
    assert b'<script>alert("x")' not in resp.data
    assert b"&lt;script&gt;" in resp.data
    assert b"<mark>" in resp.data


def test_html_facet_links_filter(client):
    resp = client.get("/?q=jeugdraad")
    html = resp.get_data(as_text=True)
    assert "fictieve voorbeeldcollectie" in html
    assert "type=" in html and "site=" in html
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_document_page_shows_stored_text(client, sample_data):
    doc = _docs(sample_data)[0]
    resp = client.get(f"/doc/{doc_id(doc.url)}")
    assert resp.status_code == 200
    assert "Opgeslagen versie" in resp.get_data(as_text=True)
    assert client.get("/doc/doesnotexist").status_code == 404
    api = client.get("/api/v1/documents/doesnotexist")
    assert api.status_code == 404 and api.get_json()["status"] == 404
