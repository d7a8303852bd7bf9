"""The facet registry: each facet declared once, here.

A facet has a name (as the URL, the API, the OpenAPI document and the exports call it),
an index field, whether a document can hold several values, a Dutch label for the UI,
its place in the order facets are shown, how its values are ordered and what a valid
value looks like. `indexer/schema.py` makes the index fields from it; the request
parameters, the views, the OpenAPI document and the exports read it too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

ValueOrder = Literal["count", "value_desc"]


@dataclass(frozen=True)
class Facet:
    name: str  # URL parameter and API key
    field: str  # index field
    label: str  # Dutch, as the UI shows it
    multi_valued: bool = False  # a document holds a list of values (a list column)
    numeric: bool = False  # stored as a number in the index
    # "count": most documents first, ties by value; "value_desc": highest value first
    # (the newest year on top).
    value_order: ValueOrder = "count"
    pattern: str | None = None  # a valid filter value matches this regex in full
    value_hint: str = ""  # what a valid value is, for the error message ("een jaartal")

    def valid(self, value: str) -> bool:
        return self.pattern is None or re.fullmatch(self.pattern, value) is not None

    def order(self, counts: Mapping[str, int]) -> list[tuple[str, int]]:
        """(value, count) pairs in this facet's display order."""
        if self.value_order == "value_desc":
            return sorted(counts.items(), key=lambda kv: kv[0], reverse=True)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# In display order.
FACETS: tuple[Facet, ...] = (
    Facet("site", "site", "Bron"),
    Facet("type", "type", "Type"),
    Facet("theme", "themes", "Thema", multi_valued=True),
    Facet("audience", "audience", "Doelgroep", multi_valued=True),
    Facet(
        "year",
        "year",
        "Jaar",
        numeric=True,
        value_order="value_desc",
        pattern="[0-9]{4}",
        value_hint="een jaartal",
    ),
)
BY_NAME: Mapping[str, Facet] = {f.name: f for f in FACETS}
FACET_NAMES: tuple[str, ...] = tuple(f.name for f in FACETS)
# Facet name -> index field; the index fields that hold lists.
FACET_FIELDS: Mapping[str, str] = {f.name: f.field for f in FACETS}
MULTI_VALUED: frozenset[str] = frozenset(f.field for f in FACETS if f.multi_valued)
