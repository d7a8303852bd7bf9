"""The search engine's answers and requests, as plain dataclasses: the contract between
`indexer/engine.py` and the search app (which never sees a Whoosh object)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .build import BuildInfo
from .integrity import IndexDamaged

# The index on disk is damaged or cannot be opened (indexer/integrity.py).
IndexCorrupt = IndexDamaged


class QueryError(ValueError):
    """A request the engine cannot answer (too deep a page, bad filter)."""


@dataclass
class SearchRequest:
    query: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # facet name -> values
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"  # relevance | date
    page: int = 1
    per_page: int = 10
    facet_limit: int = 100
    with_facets: bool = True


@dataclass
class Copy:
    """Another copy of a hit's text, republished on another page ("ook op")."""

    id: str
    url: str
    site: str
    title: str


@dataclass
class Attachment:
    """The PDF a landing page offers, shown with that page as one hit."""

    id: str
    url: str
    pages: int | None
    bytes: int | None


# How a hit matched: every word of the query that occurs in the index ("words"), only
# some of them ("some"), or none but by meaning ("meaning").
MATCH_WORDS, MATCH_SOME, MATCH_MEANING = "words", "some", "meaning"


@dataclass
class Hit:
    id: str
    url: str
    title: str
    site: str
    type: str  # noqa: A003 (the API field is called type)
    themes: list[str]
    audience: list[str]
    date: str | None
    snippet: str  # HTML: text escaped, matches in <mark>
    score: float
    description: str = ""
    fetched_at: str = ""
    word_count: int = 0
    content_type: str = "text/html"
    text: str = ""  # the full stored text, only filled for exports that ask for it
    copies: list[Copy] = field(default_factory=list)  # near-duplicates shown as this hit
    match: str = MATCH_WORDS
    pdf: Attachment | None = None


@dataclass
class FacetValue:
    value: str
    count: int
    selected: bool = False


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None
    took_ms: float
    index: BuildInfo
    not_found: list[str] = field(default_factory=list)  # typed words found nowhere
    corrected: bool = False  # the hits are those of `suggestion`
    semantic: bool = False  # whether the meaning stage took part


@dataclass
class StoredDocument:
    id: str
    url: str
    title: str
    site: str
    source: str
    type: str  # noqa: A003
    themes: list[str]
    audience: list[str]
    date: str | None
    description: str
    text: str
    fetched_at: str
    word_count: int
    content_type: str


@dataclass
class HitStream:
    """A whole result set: its size and index up front, the hits as they are read."""

    request: SearchRequest
    total: int
    index: BuildInfo
    hits: Iterator[Hit]
