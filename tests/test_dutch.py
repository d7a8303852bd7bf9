"""Dates in Dutch in Brussels time, crawl schedules as sentences, sizes, and the
spreadsheet cell rule (search_app/dutch.py, search_app/cells.py)."""

from __future__ import annotations

import pytest

from search_app.cells import spreadsheet_safe
from search_app.dutch import cron_in_dutch, dutch_date, dutch_datetime, dutch_size


def test_dates_in_dutch_and_brussels_time():
    assert dutch_date("2015-11-03") == "3 november 2015"
    # 23:30 UTC on 31 December is already New Year in Brussels.
    assert dutch_date("2023-12-31T23:30:00+00:00") == "1 januari 2024"
    assert dutch_datetime("2026-12-06T11:24:34+00:00") == "6 december 2026 om 12:24"
    assert dutch_datetime("2026-07-01T11:24:34+00:00") == "1 juli 2026 om 13:24"  # summer time
    assert dutch_date("") == "" and dutch_date("gisteren") == "gisteren"


@pytest.mark.parametrize(
    ("cron", "sentence"),
    [
        ("15 2 * * 1", "elke maandag om 02:15"),
        ("0 3 * * 1,4", "elke maandag en donderdag om 03:00"),
        ("30 4 * * *", "elke dag om 04:30"),
        ("0 6 1 * *", "elke maand op dag 1 om 06:00"),
        ("5 * * * *", "elk uur om 5 minuten over"),
        ("*/10 * * * *", "volgens schema */10 * * * *"),
    ],
)
def test_cron_in_dutch(cron, sentence):
    assert cron_in_dutch(cron) == sentence


def test_sizes():
    assert dutch_size(1_234_567) == "1,2 MB"
    assert dutch_size(350_400) == "350 kB"
    assert dutch_size(None) == ""


@pytest.mark.parametrize("value", ["=1+1", "+31", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(value):
    assert spreadsheet_safe(value) == "'" + value


def test_plain_text_is_kept():
    assert spreadsheet_safe("Jeugdraad = advies") == "Jeugdraad = advies"
    assert spreadsheet_safe("") == ""
