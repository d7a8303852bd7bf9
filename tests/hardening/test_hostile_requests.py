"""Hostile and malformed requests against every endpoint, with the app in TESTING mode
(an exception would surface in the test) and in production mode (the real error
handlers answer). Every answer is 200 or 4xx, JSON errors have the one error shape,
every response carries the security headers, and nothing reflected is executable.
"""

from __future__ import annotations

import json

import pytest

from search_app import SECURITY_HEADERS, create_app

ENDPOINTS = [
    "/",
    "/api/v1/search",
    "/api/v1/facets",
    "/api/v1/documents/{id}",
    "/doc/{id}",
    # exports capped (limit) to keep the suite fast; the full stream is tests/test_export.py's
    "/export?limit=3",
    "/export?format=json&limit=3",
    "/export?format=jsonl&limit=3",
    "/export?format=ris&limit=3",
    "/export?format=meta",
    "/feed.atom",
    "/bronnen",
    "/opensearch.xml",
    "/api/v1/openapi.json",
]
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
EXECUTABLE = (SCRIPT, "<img src=x onerror", 'href="javascript:', "href='javascript:")

# (name, raw query string). Applied to every endpoint.
QUERIES: list[tuple[str, str]] = [
    ("unbalanced quote", "q=%22jeugdraad"),
    ("unbalanced open paren", "q=((jeugd"),
    ("unbalanced close paren", "q=jeugd))"),
    ("lone AND", "q=AND"),
    ("lone OR", "q=OR"),
    ("lone NOT", "q=NOT"),
    ("lone minus", "q=-"),
    ("lone star", "q=*"),
    ("lone quote", "q=%22"),
    ("empty parens", "q=()"),
    ("trailing AND", "q=jeugd%20AND"),
    ("NOT NOT NOT", "q=NOT%20NOT%20NOT"),
    ("stars", "q=*%20*%20*"),
    ("field syntax", "q=title:jeugd%20url:x"),
    ("fuzzy and boost", "q=jeugd~%20raad^5"),
    ("wildcard", "q=jeu?d*"),
    ("range syntax", "q=[a%20TO%20z]"),
    ("braces", "q={}"),
    ("backslash", "q=%5C"),
    ("sql-ish", "q=%27%20OR%201=1%20--"),
    ("crlf header injection", "q=jeugd%0D%0ASet-Cookie:%20x=1"),
    ("10,000-char query", "q=" + "a" * 10_000),
    ("10,000 chars of terms", "q=" + "jeugd%20" * 2_000),
    ("5,000 open parens", "q=" + "(" * 5_000),
    ("5,000 quotes", "q=" + "%22" * 5_000),
    ("10,000 repeated q", "&".join(["q=jeugd"] * 10_000)),
    ("10,000 repeated site", "q=jeugd&" + "&".join(f"site=s{i}" for i in range(10_000))),
    ("10,000 repeated page", "&".join(["page=2"] * 10_000)),
    ("emoji", "q=%F0%9F%91%A9%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0%9F%91%A7%20jeugd%20%F0%9F%8E%89"),
    ("rtl and override", "q=%D7%A9%D7%9C%D7%95%D7%9D%20%D9%85%D8%B1%D8%AD%D8%A8%D8%A7%E2%80%AEj"),
    ("zero-width", "q=je%E2%80%8Bugd%EF%BB%BF"),
    ("combining marks", "q=" + "e%CC%81" * 1_000),
    ("nul in q", "q=jeugd%00raad"),
    ("invalid utf-8 percent-encoded", "q=%FF%FE%C3%28"),
    ("lone surrogate encoded", "q=%ED%A0%80"),
    ("page=-1", "q=jeugd&page=-1"),
    ("page=0", "q=jeugd&page=0"),
    ("page=10**9", "q=jeugd&page=1000000000"),
    ("page huge", "q=jeugd&page=" + "9" * 40),
    ("page=abc", "q=jeugd&page=abc"),
    ("page=1e3", "q=jeugd&page=1e3"),
    ("per_page=0", "q=jeugd&per_page=0"),
    ("per_page=-5", "q=jeugd&per_page=-5"),
    ("per_page=10**9", "q=jeugd&per_page=1000000000"),
    ("per_page=abc", "q=jeugd&per_page=abc"),
    ("year_from huge", "year_from=" + "9" * 30),
    ("year_from=-1", "year_from=-1"),
    ("year_from=abc", "year_from=abc"),
    ("year_to before year_from", "year_from=2024&year_to=1990"),
    ("year facet garbage", "year=abc&year=99999999999"),
    ("sort unknown", "q=jeugd&sort=random"),
    ("unknown facet names", "q=jeugd&facet=bogus&facets=x&bogus=1&filter[site]=x"),
    ("unknown facet value", "site=nope.example&type=nope&theme=nope&audience=nope"),
    ("path traversal in filter", "type=../../etc/passwd&site=..%2F..%2F"),
    ("format traversal", "format=../../etc/passwd"),
    ("format unknown", "format=docx"),  # xlsx is a format now
    ("limit garbage", "format=csv&limit=-1&text=maybe"),
    ("script in q", "q=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("img in q", "q=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E"),
    ("javascript url in q", "q=javascript:alert(1)"),
    ("script in site", "site=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("script in type", "type=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("script in theme", "theme=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E"),
    ("script in audience", "audience=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("script in sort", "sort=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("script in page", "page=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("script in per_page", "per_page=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E"),
    ("script in year_from", "year_from=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("script in format", "format=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("script in unknown param", "%3Cscript%3E=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("script in since", "since=%3Cscript%3Ealert(1)%3C/script%3E&q=jeugd"),
]
# (name, path). Raw WSGI paths: latin-1 strings standing for the undecoded bytes.
PATHS: list[tuple[str, str]] = [
    ("unknown id", "/doc/deadbeefdeadbeef"),
    ("unknown api id", "/api/v1/documents/deadbeefdeadbeef"),
    ("traversal", "/doc/../../etc/passwd"),
    ("encoded traversal", "/doc/%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
    ("api encoded traversal", "/api/v1/documents/..%2f..%2fcrawl.sqlite"),
    ("static traversal", "/static/../../pyproject.toml"),
    ("static encoded traversal", "/static/%2e%2e/%2e%2e/pyproject.toml"),
    ("script in id", "/doc/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    ("api script in id", "/api/v1/documents/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    ("sql in id", "/api/v1/documents/'%20OR%201=1--"),
    ("long id", "/doc/" + "a" * 10_000),
    ("nul in path", "/doc/abc\x00def"),
    ("raw invalid utf-8 in path", "/doc/\xff\xfe\xc3("),
    ("api raw invalid utf-8", "/api/v1/documents/\xff\xfe"),
    ("unknown route", "/api/v1/nothing"),
    ("unknown api version", "/api/v2/search"),
    ("script route", "/%3Cscript%3Ealert(1)%3C/script%3E"),
]
RAW_QUERY_STRINGS: list[tuple[str, str]] = [
    ("raw invalid utf-8 in query", "q=\xff\xfe\xc3("),
    ("raw nul in query", "q=jeugd\x00&site=\x00"),
    ("raw bytes in key", "\xff=1&q=x"),
    ("no equals signs", "q&page&&&="),
]

assert len(QUERIES) + len(PATHS) + len(RAW_QUERY_STRINGS) >= 60


@pytest.fixture(scope="module")
def apps(sample_data):
    return {
        "testing": create_app({"DATA_DIR": str(sample_data), "TESTING": True}),
        "production": create_app({"DATA_DIR": str(sample_data)}),
    }


@pytest.fixture(scope="module")
def doc_id(apps):
    client = apps["testing"].test_client()
    return client.get("/api/v1/search?q=jeugd").get_json()["results"][0]["id"]


def _check(response, path: str) -> None:
    where = f"{path[:120]} -> {response.status_code}"
    assert 200 <= response.status_code < 500, where
    for header in SECURITY_HEADERS:
        assert header in response.headers, f"{where}: no {header}"
    ctype = response.headers.get("Content-Type", "")
    body = response.get_data(as_text=True)
    if path.startswith("/api/") and response.status_code >= 400:
        assert ctype.startswith("application/json"), where
        data = json.loads(body)
        assert set(data) >= {"error", "status"} and data["status"] == response.status_code, where
        assert isinstance(data["error"], str) and data["error"], where
    attachment = response.headers.get("Content-Disposition", "").startswith("attachment")
    if "html" in ctype or "xml" in ctype or ("json" in ctype and not attachment):
        for marker in EXECUTABLE:
            assert marker not in body, f"{where}: reflected {marker!r}"
    else:
        # Downloads (CSV, RIS, JSON, JSONL exports) hold the query as data; they are
        # attachments of a non-HTML type, never sniffed into HTML.
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "html" not in ctype, where


def _url(endpoint: str, query: str, doc: str) -> tuple[str, str]:
    path = endpoint.format(id=doc)
    if "?" in path:
        path, fixed = path.split("?", 1)
        query = f"{fixed}&{query}"
    return path, query


@pytest.mark.parametrize("mode", ["testing", "production"])
@pytest.mark.parametrize("name, query", QUERIES, ids=[n for n, _ in QUERIES])
def test_hostile_parameters_on_every_endpoint(apps, doc_id, mode, name, query):
    client = apps[mode].test_client()
    for endpoint in ENDPOINTS:
        path, qs = _url(endpoint, query, doc_id)
        response = client.get(path, query_string=qs)
        _check(response, path)


@pytest.mark.parametrize("mode", ["testing", "production"])
@pytest.mark.parametrize("name, path", PATHS, ids=[n for n, _ in PATHS])
def test_hostile_paths(apps, mode, name, path):
    client = apps[mode].test_client()
    response = client.get("/", environ_overrides={"PATH_INFO": path})
    _check(response, path)
    assert "[tool.ruff]" not in response.get_data(as_text=True)  # no file outside static


@pytest.mark.parametrize("mode", ["testing", "production"])
@pytest.mark.parametrize("name, raw", RAW_QUERY_STRINGS, ids=[n for n, _ in RAW_QUERY_STRINGS])
def test_raw_bytes_in_query_string(apps, doc_id, mode, name, raw):
    client = apps[mode].test_client()
    for endpoint in ENDPOINTS:
        path, _ = _url(endpoint, "", doc_id)
        response = client.get(path, environ_overrides={"QUERY_STRING": raw})
        _check(response, path)


def test_bad_parameters_are_400_with_the_error_shape(apps):
    client = apps["production"].test_client()
    for qs in ("page=-1", "per_page=0", "page=1000000000", "year_from=abc", "sort=random"):
        response = client.get("/api/v1/search", query_string=qs)
        assert response.status_code == 400, qs
        assert set(response.get_json()) == {"error", "status"}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_no_endpoint_changes_state(apps, doc_id, method):
    client = apps["production"].test_client()
    for endpoint in ENDPOINTS:
        path, qs = _url(endpoint, "q=jeugd", doc_id)
        response = client.open(path, method=method, query_string=qs, data={"q": "x"})
        assert response.status_code == 405, f"{method} {path}"
        _check(response, path)


def test_head_and_static_answers_carry_headers(apps, doc_id):
    client = apps["production"].test_client()
    for endpoint in [*ENDPOINTS, "/static/style.css", "/static/facets.js", "/nope"]:
        path, qs = _url(endpoint, "q=jeugd", doc_id)
        response = client.head(path, query_string=qs)
        _check(response, path)
        response.close()


def test_csp_allows_no_inline_script():
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    script = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "frame-ancestors 'none'" in csp
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"
    assert SECURITY_HEADERS["X-Frame-Options"] == "DENY"
    assert SECURITY_HEADERS["Referrer-Policy"]


def test_templates_have_no_inline_script(apps, doc_id):
    client = apps["production"].test_client()
    for path in ("/", "/?q=jeugd", f"/doc/{doc_id}", "/bronnen", "/nope"):
        body = client.get(path).get_data(as_text=True)
        for tag in body.split("<script")[1:]:
            assert "src=" in tag.split(">", 1)[0], f"inline script in {path}"
        assert " onclick=" not in body and " onload=" not in body
