"""Exports for the tools researchers use: XLSX read back with openpyxl (typed date
cells, provenance on a second sheet), CSV with `;` for Dutch/Belgian Excel, Dutch
column headers, source titles as RIS/BibTeX publisher, formula-safe cells."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import bibtexparser
import openpyxl
import rispy

from search_app.export import DUTCH_HEADERS, EXPORT_FIELDS

SEARCH = {"q": "jeugdraad", "theme": "beleidsparticipatie"}
TITLES = {"Bataljong", "VVSG", "Kindvriendelijke Steden en Gemeenten", "Debattle"}


def _get(client, **params):
    response = client.get("/export", query_string={**SEARCH, **params})
    assert response.status_code == 200, response.data[:300]
    return response


def test_xlsx_has_typed_dates_and_provenance(client):
    response = _get(client, format="xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Resultaten", "Herkomst"]
    rows = list(book["Resultaten"].iter_rows(values_only=True))
    assert list(rows[0]) == list(EXPORT_FIELDS)
    assert len(rows) - 1 == int(response.headers["X-Total-Count"])
    date_col = rows[0].index("date")
    dates = [r[date_col] for r in rows[1:] if r[date_col] is not None]
    assert dates and all(isinstance(d, datetime) for d in dates)
    assert all(isinstance(r[rows[0].index("rank")], int) for r in rows[1:])
    about = dict(book["Herkomst"].iter_rows(values_only=True))
    assert about["query"] == "jeugdraad" and about["total"] == response.headers["X-Total-Count"]
    assert "horen bij de partnersites" in about["Let op"]


def test_xlsx_with_dutch_headers_and_full_text(client):
    response = _get(client, format="xlsx", headers="nl", with_text="1")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data))["Resultaten"].values)
    assert rows[0][:6] == ("Rang", "Score", "Id", "Titel", "URL", "Bron")
    assert rows[0][-1] == "Volledige tekst"
    assert {r[5] for r in rows[1:]} <= TITLES
    assert all(r[-1] for r in rows[1:])


def test_csv_with_semicolons_and_dutch_headers_reads_back(client):
    plain = list(csv.reader(io.StringIO(_get(client, format="csv").data.decode("utf-8-sig"))))
    data = _get(client, format="csv", delimiter="semicolon", headers="nl").data
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == [DUTCH_HEADERS[c] for c in EXPORT_FIELDS]
    assert len(rows) == len(plain)
    assert [r[2] for r in rows[1:]] == [r[2] for r in plain[1:]]  # the same documents
    types = {r[6] for r in rows[1:]}
    assert types and not types & {"visietekst", "methodiek", "praktijkvoorbeeld", "filmpje"}
    assert {r[5] for r in rows[1:]} <= TITLES


def test_bad_export_options_are_dutch_400s(client):
    for params in ({"delimiter": "tab"}, {"headers": "fr"}, {"with_text": "maybe"}):
        response = client.get("/export", query_string={**SEARCH, **params})
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert not {"delimiter", "headers", "with_text"} & set(error.split()), error


def test_ris_and_bibtex_name_the_source_by_its_title(client):
    entries = rispy.loads(_get(client, format="ris").data.decode("utf-8"))
    assert entries and {e["publisher"] for e in entries} <= TITLES
    library = bibtexparser.parse_string(_get(client, format="bibtex").data.decode("utf-8"))
    assert {e["publisher"] for e in library.entries} <= TITLES


def test_the_command_line_writes_the_same_researcher_formats(client, sample_data, tmp_path):
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from search_app.cli import main

    runner = CliRunner()
    out = tmp_path / "jeugdraad.csv"
    done = runner.invoke(
        main,
        ["export", "--data-dir", str(sample_data), "-q", "jeugdraad", "--delimiter",
         "semicolon", "--headers", "nl", "-o", str(out)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    web = client.get(
        "/export", query_string={"q": "jeugdraad", "format": "csv", "delimiter": "semicolon",
                                 "headers": "nl"},
    ).data  # fmt: skip
    assert out.read_bytes() == web  # the same code path, the same bytes
    book = tmp_path / "jeugdraad.xlsx"
    done = runner.invoke(
        main, ["export", "--data-dir", str(sample_data), "-q", "jeugdraad", "--format", "xlsx",
               "-o", str(book)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    workbook = load_workbook(book, read_only=True)  # read-only keeps the file open
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    total = client.get("/api/v1/search?q=jeugdraad").get_json()["total"]
    assert len(rows) == total + 1
    refused = runner.invoke(
        main, ["export", "--data-dir", str(sample_data), "-q", "x", "--format", "xlsx"]
    )
    assert refused.exit_code == 2 and "--output" in refused.output
