"""Facet filters and the year range of a request, as bit sets over document numbers."""

from __future__ import annotations

from functools import reduce
from operator import or_

from .facets import BY_NAME
from .schema import FACET_FIELDS
from .search_types import QueryError, SearchRequest

YEAR_BOUNDS = (1900, 2100)  # the years a request may name (search_app.settings)


def filter_bits(v, req: SearchRequest) -> dict[str, int]:
    """Each active filter's documents as a bit set, by facet name."""
    facets = v.bits.facets
    out: dict[str, int] = {}
    for name, values in req.filters.items():
        if name not in FACET_FIELDS:
            raise QueryError(f"unknown filter {name!r}")
        if not values:
            continue
        # A number facet's keys are the index's own spelling of the number ("2025").
        numeric = BY_NAME[name].numeric
        keys = [str(int(x)) for x in values if str(x).isdigit()] if numeric else values
        out[name] = reduce(or_, (facets[name].get(str(k), 0) for k in keys), 0)
    if req.year_from is not None or req.year_to is not None:
        low = req.year_from if req.year_from is not None else YEAR_BOUNDS[0]
        high = req.year_to if req.year_to is not None else YEAR_BOUNDS[1]
        years = (b for y, b in facets["year"].items() if low <= int(y) <= high)
        out["_years"] = reduce(or_, years, 0)
    return out
