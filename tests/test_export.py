"""Research exports: every format read back by a real reader and compared with the
API's answer for the same search; byte-identical repeats; the cap; the CLI path."""

from __future__ import annotations

import csv
import io
import json

import bibtexparser
import pytest
import rispy
from click.testing import CliRunner

from search_app import settings
from search_app.cli import main
from search_app.export import EXPORT_FIELDS, plain
from search_app.names import site_titles

SOURCE_TITLES = site_titles(settings.SOURCES_FILE)

QUERIES = [
    {"q": "jeugdraad"},
    {"q": "kinderen", "sort": "date"},
    {"q": "jeugd", "type": "methodiek"},
    {},  # every document, newest first
]
BIB_UNESCAPE = {
    r"\textbackslash{}": "\\",
    r"\{": "{",
    r"\}": "}",
    r"\&": "&",
    r"\%": "%",
    r"\$": "$",
    r"\#": "#",
    r"\_": "_",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
}


def _api_all(client, params: dict) -> tuple[int, list[dict]]:
    """The API's whole result set, page by page."""
    results, page = [], 1
    while True:
        body = client.get(
            "/api/v1/search", query_string={**params, "per_page": 100, "page": page}
        ).get_json()
        results += body["results"]
        if len(results) >= body["total"] or not body["results"]:
            return body["total"], results
        page += 1


def _export(client, params: dict, fmt: str, **extra) -> bytes:
    resp = client.get("/export", query_string={**params, "format": fmt, **extra})
    assert resp.status_code == 200, resp.data[:300]
    assert "attachment" in resp.headers["Content-Disposition"]
    return resp.data


def _same_as_api(records: list[dict], api: list[dict], total: int) -> None:
    """Same hits, same scores in the same order; ranks 1..n; ties in score by id."""
    assert len(records) == len(api) == total
    assert [r["rank"] for r in records] == list(range(1, total + 1))
    assert [float(r["score"]) for r in records] == [a["score"] for a in api]
    assert {r["id"] for r in records} == {a["id"] for a in api}
    by_id = {a["id"]: a for a in api}
    for r in records:
        a = by_id[r["id"]]
        for key in ("url", "title", "site", "type"):
            assert r[key] == a[key], key
    keys = [(-float(r["score"]), r["id"]) for r in records]
    if all(float(r["score"]) > 0 for r in records):
        assert keys == sorted(keys)


@pytest.mark.parametrize("params", QUERIES)
def test_json_matches_api(client, params):
    total, api = _api_all(client, params)
    body = json.loads(_export(client, params, "json"))
    assert set(body) == {"provenance", "results"}
    _same_as_api(body["results"], api, total)
    by_id = {a["id"]: a for a in api}
    for record in body["results"]:
        assert list(record) == list(EXPORT_FIELDS)
        assert {k: record[k] for k in by_id[record["id"]]} == by_id[record["id"]]
    prov = body["provenance"]
    assert prov["total"] == prov["exported"] == total and prov["truncated"] is False
    assert prov["query"] == params.get("q", "")


def test_json_order_equals_api_order_when_no_ties(client):
    total, api = _api_all(client, {"q": "jeugdraad"})
    body = json.loads(_export(client, {"q": "jeugdraad"}, "json"))
    scores = [a["score"] for a in api]
    if len(set(scores)) == len(scores):
        assert [r["id"] for r in body["results"]] == [a["id"] for a in api]


@pytest.mark.parametrize("params", QUERIES[:2])
def test_jsonl_first_line_is_provenance(client, params):
    total, api = _api_all(client, params)
    lines = _export(client, params, "jsonl").decode("utf-8").splitlines()
    first = json.loads(lines[0])
    assert set(first) == {"provenance"} and first["provenance"]["total"] == total
    _same_as_api([json.loads(line) for line in lines[1:]], api, total)


@pytest.mark.parametrize("params", QUERIES)
def test_csv_reads_back_with_excel_dialect(client, params):
    total, api = _api_all(client, params)
    data = _export(client, params, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")[:200]
    rows = list(csv.DictReader(io.StringIO(text, newline=""), dialect="excel"))
    for row in rows:
        row["rank"] = int(row["rank"])
    _same_as_api(rows, api, total)
    by_id = {a["id"]: a for a in api}
    for row in rows:
        a = by_id[row["id"]]
        assert row["themes"] == "; ".join(a["themes"])
        assert row["date"] == (a["date"] or "")
        assert row["snippet"] == plain(a["snippet"])
        assert "<mark>" not in row["snippet"]


def test_csv_companion_meta(client):
    resp = client.get("/export", query_string={"q": "jeugdraad", "format": "csv"})
    assert 'rel="describedby"' in resp.headers["Link"]
    meta_url = resp.headers["Link"].split(">")[0].lstrip("<")
    meta = client.get(meta_url).get_json()
    assert meta["query"] == "jeugdraad" and meta["total"] == int(resp.headers["X-Total-Count"])


@pytest.mark.parametrize("params", QUERIES[:3])
def test_ris_reads_back_with_rispy_and_strict_lines(client, params):
    total, api = _api_all(client, params)
    text = _export(client, params, "ris").decode("utf-8")
    for line in text.split("\r\n"):
        assert line == "" or (line[:2].isalnum() and line[2:6] == "  - "), line
    entries = rispy.loads(text)
    assert len(entries) == total
    by_id = {a["id"]: a for a in api}
    for entry in entries:
        a = by_id[entry["id"]]
        assert entry["title"] == a["title"] and entry["urls"] == [a["url"]]
        assert entry["publisher"] == SOURCE_TITLES[a["site"]]  # "Bataljong", not its domain
        assert entry.get("keywords", []) == a["themes"]
        if a["date"]:
            assert entry["year"] == a["date"][:4]
            assert entry["date"] == a["date"].replace("-", "/") + "/"
    assert [e["id"] for e in entries] == [
        r["id"] for r in json.loads(_export(client, params, "json"))["results"]
    ]


def _bib_unescape(value: str) -> str:
    for escaped, raw in BIB_UNESCAPE.items():
        value = value.replace(escaped, raw)
    return value


@pytest.mark.parametrize("params", QUERIES[:3])
def test_bibtex_reads_back_with_bibtexparser(client, params):
    total, api = _api_all(client, params)
    library = bibtexparser.parse_string(_export(client, params, "bibtex").decode("utf-8"))
    assert not library.failed_blocks
    assert len(library.comments) == 1 and "total: " + str(total) in library.comments[0].comment
    assert len(library.entries) == total
    by_id = {a["id"]: a for a in api}
    for entry in library.entries:
        assert entry.entry_type == "misc"
        a = by_id[entry.key.removeprefix("kb")]
        assert _bib_unescape(entry["title"].strip("{}")) == a["title"]
        assert entry["url"] == a["url"]
        assert len(entry["urldate"]) == 10
        if a["date"]:
            assert entry["year"] == a["date"][:4]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "ris", "bibtex", "meta"])
def test_repeat_is_byte_identical(client, fmt):
    params = {"q": "jeugdraad OR kinderen", "sort": "relevance"}
    assert _export(client, params, fmt) == _export(client, params, fmt)


def test_cap_cuts_with_a_clear_message(client):
    resp = client.get("/export", query_string={"q": "jeugd", "format": "json", "limit": 3})
    body = resp.get_json()
    assert len(body["results"]) == 3
    prov = body["provenance"]
    assert prov["truncated"] is True and prov["total"] > 3 and prov["cap"] == 3
    assert "Afgekapt" in prov["message"] and resp.headers["X-Export-Truncated"] == "true"


def test_with_text_adds_full_text(client):
    body = json.loads(_export(client, {"q": "jeugdraad"}, "json", limit=2, with_text=1))
    doc = client.get(f"/api/v1/documents/{body['results'][0]['id']}").get_json()
    assert body["results"][0]["text"] == doc["text"]
    assert body["provenance"]["columns"][-1] == "text"


@pytest.mark.parametrize(
    "query",
    ["format=xls", "limit=0", "limit=abc", "with_text=maybe", "sort=sideways", "year_from=abc"],
)
def test_bad_export_parameters_are_400_json(client, query):
    resp = client.get("/export?q=jeugd&" + query)
    assert resp.status_code == 400
    assert set(resp.get_json()) == {"error", "status"} and resp.get_json()["status"] == 400


def test_cli_export_is_the_web_export(client, sample_data, tmp_path):
    params = {"q": "jeugdraad", "type": "visietekst"}
    runner = CliRunner()
    for fmt in ("csv", "json", "jsonl", "ris", "bibtex"):
        out = tmp_path / f"out.{fmt}"
        result = runner.invoke(
            main,
            [
                "export",
                "--data-dir",
                str(sample_data),
                "--query",
                "jeugdraad",
                "--type",
                "visietekst",
                "--format",
                fmt,
                "--output",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == _export(client, params, fmt), fmt
    meta = json.loads((tmp_path / "out.meta.json").read_text(encoding="utf-8"))
    assert meta["filters"] == {"type": ["visietekst"]} and meta["format"] == "ris"


def test_cli_exported_at_and_cap_message(sample_data, tmp_path):
    out = tmp_path / "x.jsonl"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "--data-dir",
            str(sample_data),
            "-q",
            "jeugd",
            "--format",
            "jsonl",
            "--limit",
            "2",
            "--exported-at",
            "2025-01-31T10:00:00",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Afgekapt: 2 van" in result.output
    prov = json.loads(out.read_text(encoding="utf-8").splitlines()[0])["provenance"]
    assert prov["exported_at"] == "2025-01-31T10:00:00+00:00"
    assert prov["exported_at_source"] == "given"
    bad = CliRunner().invoke(
        main, ["export", "--data-dir", str(sample_data), "--exported-at", "gisteren"]
    )
    assert bad.exit_code == 2 and "ISO 8601" in bad.output
