"""The XLSX export: the result set on a first sheet ("Resultaten") with real date cells,
numbers as numbers and an autofilter, and the provenance on a second sheet
("Herkomst"), written by XlsxWriter.

XlsxWriter builds the workbook in memory (`constant_memory` keeps one row at a time,
so a 100,000-row export stays small); the file is produced whole, then sent. Every text
cell goes through `spreadsheet_safe`, so a title starting with "=" stays text.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import xlsxwriter

from .export import Export, cell_value, plain

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_COLUMNS = frozenset({"date"})
DATETIME_COLUMNS = frozenset({"fetched_at"})
NUMBER_COLUMNS = frozenset({"rank", "score", "word_count"})
MAX_CELL = 32_767  # Excel's limit on the characters in one cell


def _as_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _utc(value: str | None) -> datetime | None:
    """A crawl timestamp as a naive UTC datetime (Excel cells have no time zone; the
    header says UTC)."""
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _text(value) -> str:
    # One rule for every spreadsheet cell: lists joined, a PDF or copy as its URL, made
    # inert where it would start a formula (search_app/export.py).
    return str(cell_value(value))[:MAX_CELL]


def xlsx_bytes(export: Export) -> bytes:
    """The whole export as one XLSX file."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    stamps = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("Resultaten")
    columns = export.columns()
    headers = export.headers(columns)
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, bold)
    row = 0
    for row, record in enumerate(export.display_records(), start=1):
        record["snippet"] = plain(record["snippet"])
        for col, name in enumerate(columns):
            value = record.get(name)
            day = _as_date(value) if name in DATE_COLUMNS else None
            if day is not None:
                sheet.write_datetime(row, col, datetime.combine(day, datetime.min.time()), dates)
            elif name in DATETIME_COLUMNS and _utc(value):
                sheet.write_datetime(row, col, _utc(value), stamps)
            elif name in NUMBER_COLUMNS and isinstance(value, int | float):
                sheet.write_number(row, col, value)
            else:
                sheet.write_string(row, col, _text(value))
    sheet.autofilter(0, 0, max(row, 1), len(columns) - 1)
    sheet.freeze_panes(1, 0)
    about = book.add_worksheet("Herkomst")
    about.write_string(0, 0, "Gegeven", bold)
    about.write_string(0, 1, "Waarde", bold)
    for n, (key, value) in enumerate(export.provenance().items(), start=1):
        about.write_string(n, 0, key)
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        about.write_string(n, 1, _text(shown))
    about.write_string(n + 2, 0, "Let op")
    about.write_string(n + 2, 1, export.rights_notice())
    book.close()
    return out.getvalue()
