"""Dates, times, schedules and sizes as a Flemish reader writes them.

Dates are shown in Europe/Brussels time ("3 november 2015", "6 december 2026 om
12:24"); the time zone database comes from the system, else from the `tzdata`
package (a dependency, so a machine without /usr/share/zoneinfo works too). A crawl
schedule (a cron expression) becomes a sentence ("elke maandag om 02:15"), and a file
size "1,2 MB".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
# Cron counts days of the week from Sunday = 0 (7 is Sunday too).
WEEKDAYS = ("zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag")


def _parse(value: str | date | datetime | None) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):  # datetime is a date too
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def local(moment: datetime) -> datetime:
    """A moment in Brussels time; a naive one is taken to be UTC (how the store writes)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BRUSSELS)


def dutch_date(value: str | date | datetime | None) -> str:
    """ "3 november 2015"; a timestamp is first put in Brussels time. Unreadable: as given."""
    parsed = _parse(value)
    if parsed is None:
        return "" if value is None else str(value)
    if isinstance(parsed, datetime):
        parsed = local(parsed).date()
    return f"{parsed.day} {MONTHS[parsed.month - 1]} {parsed.year}"


def dutch_datetime(value: str | datetime | None) -> str:
    """ "6 december 2026 om 12:24" (Brussels time); a bare date stays a date."""
    parsed = _parse(value)
    if parsed is None:
        return "" if value is None else str(value)
    if not isinstance(parsed, datetime):
        return dutch_date(parsed)
    moment = local(parsed)
    return f"{dutch_date(moment.date())} om {moment:%H:%M}"


def _list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1]


def _numbers(field: str, low: int, high: int) -> list[int] | None:
    """A cron field's values, or None for '*' or a form not spelled out here."""
    if field == "*":
        return None
    out: list[int] = []
    for part in field.split(","):
        if "/" in part:
            return None
        if "-" in part:
            first, _, last = part.partition("-")
            if not (first.isdigit() and last.isdigit()):
                return None
            out += range(int(first), int(last) + 1)
        elif part.isdigit():
            out.append(int(part))
        else:
            return None
    return out if all(low <= n <= high for n in out) else None


def cron_in_dutch(expression: str) -> str:
    """A five-field cron expression as a sentence ("elke maandag om 02:15"); forms it
    does not know are returned as "volgens schema <expression>"."""
    fields = expression.split()
    fallback = f"volgens schema {expression}"
    if len(fields) != 5:
        return fallback
    minute, hour, dom, month, dow = fields
    minutes, hours = _numbers(minute, 0, 59), _numbers(hour, 0, 23)
    if not minutes or len(minutes) != 1:
        return fallback
    if hour == "*":
        when = f"elk uur om {minutes[0]} minuten over"
    elif hours:
        when = "om " + _list([f"{h:02d}:{minutes[0]:02d}" for h in hours])
    else:
        return fallback
    if month != "*":
        return fallback
    if dom == "*" and dow == "*":
        return when if hour == "*" else f"elke dag {when}"
    if dom == "*":
        days = _numbers(dow, 0, 7)
        if not days:
            return fallback
        names = list(dict.fromkeys(WEEKDAYS[d % 7] for d in days))
        return f"elke {_list(names)} {when}"
    if dow == "*":
        days = _numbers(dom, 1, 31)
        if not days:
            return fallback
        return f"elke maand op dag {_list([str(d) for d in days])} {when}"
    return fallback


def dutch_size(size: int | None) -> str:
    """ "1,2 MB", "350 kB"; empty for an unknown size."""
    if size is None or size < 0:
        return ""
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{round(size / 1000):d} kB"
    return f"{size / 1_000_000:.1f} MB".replace(".", ",")
