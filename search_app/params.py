"""Request parameters -> a validated `SearchRequest`.

The HTML page, the JSON API, the feed and the export all read their parameters
here, so the same URL means the same search everywhere. Bad values raise
`BadParameter` with a message fit to show the user.
"""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from indexer.engine import SearchRequest
from indexer.facets import FACETS

from . import settings
from .errors import BadParameter

FILTER_PARAMS = tuple(f.name for f in FACETS)
SORTS = ("relevance", "date")


def _int(args: Mapping, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    raw = str(raw).strip()
    if len(raw) > 12 or not raw.lstrip("-").isdigit():
        raise BadParameter(f"{name} moet een geheel getal zijn")
    value = int(raw)
    if not low <= value <= high:
        raise BadParameter(f"{name} moet tussen {low} en {high} liggen")
    return value


def _check_text(name: str, value: str, limit: int) -> str:
    if "\x00" in value:
        raise BadParameter(f"{name} bevat een ongeldig teken")
    if len(value) > limit:
        raise BadParameter(f"{name} is te lang (maximaal {limit} tekens)")
    return value


def parse_search_args(args: MultiDict) -> SearchRequest:
    query = _check_text("q", args.get("q", "") or "", settings.MAX_QUERY_CHARS).strip()
    filters: dict[str, list[str]] = {}
    for facet in FACETS:
        name = facet.name
        values = [v.strip() for v in args.getlist(name) if v and v.strip()]
        if len(values) > settings.MAX_FILTER_VALUES:
            raise BadParameter(
                f"te veel waarden voor {name} (maximaal {settings.MAX_FILTER_VALUES})"
            )
        for value in values:
            _check_text(name, value, settings.MAX_FILTER_CHARS)
            if not facet.valid(value):
                raise BadParameter(f"{name} moet {facet.value_hint or 'geldig'} zijn")
        if values:
            filters[name] = list(dict.fromkeys(values))
    year_from = _int(args, "year_from", None, settings.YEAR_MIN, settings.YEAR_MAX)
    year_to = _int(args, "year_to", None, settings.YEAR_MIN, settings.YEAR_MAX)
    if year_from is not None and year_to is not None and year_from > year_to:
        raise BadParameter("year_from mag niet na year_to liggen")
    sort = args.get("sort", "relevance") or "relevance"
    if sort not in SORTS:
        raise BadParameter("sort moet 'relevance' of 'date' zijn")
    page = _int(args, "page", 1, 1, settings.MAX_PAGE)
    per_page = _int(args, "per_page", settings.DEFAULT_PER_PAGE, 1, 10**9)
    per_page = min(per_page, settings.MAX_PER_PAGE)
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
