"""Spreadsheet cells that cannot run: formula-injection neutralisation for exports.

A spreadsheet program (Excel, LibreOffice, Google Sheets) treats a cell whose text
begins with `=`, `+`, `-` or `@` as a formula, and a leading tab or carriage return
can hide one. Crawled titles, descriptions and snippets are written by other people,
so every text cell of a CSV or XLSX export goes through `spreadsheet_safe()` (OWASP's
rule): such a cell gets a leading apostrophe, which spreadsheets show as text and
never evaluate. Any exporter of spreadsheet formats calls this one function.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """`value` made inert as a spreadsheet cell: prefixed with `'` when it begins with
    a character that starts a formula; otherwise unchanged."""
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
