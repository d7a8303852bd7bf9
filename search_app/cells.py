"""Spreadsheet cells that stay text: a value a spreadsheet would read as a formula is
neutralised (the OWASP rule for CSV injection), in every export a spreadsheet opens."""

from __future__ import annotations

# A cell starting with one of these is a formula (or becomes one) in Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """`value` with a leading apostrophe when a spreadsheet would run it as a formula."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
