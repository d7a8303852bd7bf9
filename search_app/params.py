"""Request parameters -> a validated `SearchRequest`.

The HTML page, the JSON API, the feed and the export all read their parameters
here, so the same URL means the same search everywhere. Bad values raise
`BadParameter` with a message fit to show the user.
"""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from indexer.engine import MAX_RESULT_WINDOW, SearchRequest
from indexer.facets import FACETS

from . import settings
from .errors import BadParameter

FILTER_PARAMS = tuple(f.name for f in FACETS)
SORTS = ("relevance", "date")
# Each parameter as the search page names it: error messages say these, never the
# parameter names of the URL.
FIELD_LABELS = {
    "q": "Zoekterm",
    "site": "Bron",
    "type": "Type",
    "theme": "Thema",
    "audience": "Doelgroep",
    "year": "Jaar",
    "year_from": "Van jaar",
    "year_to": "Tot en met jaar",
    "sort": "Sortering",
    "page": "Pagina",
    "per_page": "Resultaten per pagina",
}


class BadField(BadParameter):
    """A bad parameter, with the parameter it is about (so a page can drop just that one)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


def _label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def _int(args: Mapping, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    raw = str(raw).strip()
    if len(raw) > 12 or not raw.lstrip("-").isdigit():
        raise BadField(name, f"{_label(name)} moet een geheel getal zijn")
    value = int(raw)
    if not low <= value <= high:
        raise BadField(name, f"{_label(name)} moet tussen {low} en {high} liggen")
    return value


def _check_text(name: str, value: str, limit: int) -> str:
    if "\x00" in value:
        raise BadField(name, f"{_label(name)} bevat een ongeldig teken")
    if len(value) > limit:
        raise BadField(name, f"{_label(name)} is te lang (maximaal {limit} tekens)")
    return value


def parse_search_args(args: MultiDict, *, swap_years: bool = False) -> SearchRequest:
    """`swap_years`: a year range entered backwards is turned around (the search page
    does, and says so) instead of refused (the API, the export and the feed refuse)."""
    query = _check_text("q", args.get("q", "") or "", settings.MAX_QUERY_CHARS).strip()
    filters: dict[str, list[str]] = {}
    for facet in FACETS:
        name = facet.name
        values = [v.strip() for v in args.getlist(name) if v and v.strip()]
        if len(values) > settings.MAX_FILTER_VALUES:
            raise BadField(
                name, f"te veel waarden voor {_label(name)} (maximaal {settings.MAX_FILTER_VALUES})"
            )
        for value in values:
            _check_text(name, value, settings.MAX_FILTER_CHARS)
            if not facet.valid(value):
                raise BadField(name, f"{facet.label} moet {facet.value_hint or 'geldig'} zijn")
        if values:
            filters[name] = list(dict.fromkeys(values))
    year_from = _int(args, "year_from", None, settings.YEAR_MIN, settings.YEAR_MAX)
    year_to = _int(args, "year_to", None, settings.YEAR_MIN, settings.YEAR_MAX)
    if year_from is not None and year_to is not None and year_from > year_to:
        if not swap_years:
            raise BadField(
                "year_from",
                f"Van jaar ({year_from}) mag niet na Tot en met jaar ({year_to}) liggen",
            )
        year_from, year_to = year_to, year_from
    sort = args.get("sort", "relevance") or "relevance"
    if sort not in SORTS:
        raise BadField(
            "sort", "Sortering moet 'relevance' (relevantie) of 'date' (nieuwste eerst) zijn"
        )
    page = _int(args, "page", 1, 1, settings.MAX_PAGE)
    per_page = _int(args, "per_page", settings.DEFAULT_PER_PAGE, 1, 10**9)
    per_page = min(per_page, settings.MAX_PER_PAGE)
    if page * per_page > MAX_RESULT_WINDOW:
        raise BadField(
            "page",
            f"Pagina {page} ligt te diep: de eerste {MAX_RESULT_WINDOW} resultaten zijn te zien",
        )
    return SearchRequest(
        query=query,
        filters=filters,
        year_from=year_from,
        year_to=year_to,
        sort=sort,
        page=page,
        per_page=per_page,
    )


def request_args(req: SearchRequest, **changes) -> list[tuple[str, str]]:
    """The URL parameters that reproduce `req` (with `changes` applied): state in the URL."""
    state = {
        "q": req.query,
        "sort": req.sort,
        "page": req.page,
        "per_page": req.per_page,
        "year_from": req.year_from,
        "year_to": req.year_to,
        "filters": {k: list(v) for k, v in req.filters.items()},
    }
    state.update(changes)
    out: list[tuple[str, str]] = []
    if state["q"]:
        out.append(("q", state["q"]))
    for name in FILTER_PARAMS:
        out += [(name, v) for v in state["filters"].get(name, [])]
    for name in ("year_from", "year_to"):
        if state[name] is not None:
            out.append((name, str(state[name])))
    if state["sort"] != "relevance":
        out.append(("sort", state["sort"]))
    if state["per_page"] != settings.DEFAULT_PER_PAGE:
        out.append(("per_page", str(state["per_page"])))
    if state["page"] != 1:
        out.append(("page", str(state["page"])))
    return out
