"""The search engine's small interface: the only code outside `indexer/build.py` that
talks to Whoosh. The search app asks it for results, facets, documents and similar
documents in plain dataclasses and never sees a Whoosh object.

One searcher per process, reused until the index changes: opening one is costly and
it holds much of the index in memory. The `CURRENT` pointer is checked at most once a
second, so a new build is picked up without a restart.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import highlight, sorting
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.index import EmptyIndexError

from .build import BuildInfo, IndexMissing, current_build
from .query import build_query, parse_user_query
from .schema import FACET_FIELDS, MULTI_VALUED

log = logging.getLogger(__name__)

MAX_RESULT_WINDOW = 10_000  # page * per_page beyond this is refused
RECHECK_SECONDS = 1.0
SNIPPET_CHARS = 240


class IndexCorrupt(Exception):
    """The index on disk cannot be opened."""


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


def _score(hit) -> float:
    # Sorted (not scored) searches give a sort key instead of a score.
    return round(float(hit.score), 4) if isinstance(hit.score, int | float) else 0.0


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


class _Mark(highlight.HtmlFormatter):
    def __init__(self) -> None:
        super().__init__(tagname="mark", between=" … ")

    def format_token(self, text, token, replace=False):
        ttext = highlight.htmlescape(highlight.get_text(text, token, replace), quote=False)
        return f"<mark>{ttext}</mark>"


class SearchIndex:
    """Read access to the current index of a data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._lock = threading.Lock()
        self._build: Path | None = None
        self._ix = None
        self._searcher = None
        self._info: BuildInfo | None = None
        self._checked = 0.0

    def _current(self):
        now = time.monotonic()
        if self._searcher is not None and now - self._checked < RECHECK_SECONDS:
            return self._searcher, self._info
        with self._lock:
            self._checked = now
            build = current_build(self.data_dir)
            if build is None:
                raise IndexMissing(
                    f"no index in {self.data_dir}: run `kennisbank crawl` and `kennisbank index`"
                )
            if build != self._build:
                try:
                    ix = whoosh_index.open_dir(str(build))
                    searcher = ix.searcher()
                    info = BuildInfo.read(build)
                except (EmptyIndexError, OSError, ValueError, EOFError) as exc:
                    raise IndexCorrupt(
                        f"index {build} cannot be opened ({exc}); rebuild it with "
                        "`kennisbank index --rebuild`"
                    ) from exc
                # The old searcher is left to the garbage collector: a request in
                # another thread may still be reading from it.
                self._build, self._ix, self._searcher, self._info = build, ix, searcher, info
                log.info("serving index %s (%d documents)", build.name, info.documents)
            return self._searcher, self._info

    def info(self) -> BuildInfo:
        return self._current()[1]

    # --- search -------------------------------------------------------------

    def _filter_queries(self, req: SearchRequest, searcher) -> dict[str, wq.Query]:
        out: dict[str, wq.Query] = {}
        for name, values in req.filters.items():
            fieldname = FACET_FIELDS.get(name)
            if fieldname is None:
                raise QueryError(f"unknown filter {name!r}")
            if not values:
                continue
            if fieldname == "year":
                years = [int(v) for v in values if str(v).isdigit()]
                out[name] = wq.Or([wq.NumericRange("year", y, y) for y in years])
            else:
                out[name] = wq.Or([wq.Term(fieldname, v) for v in values])
        if req.year_from is not None or req.year_to is not None:
            out["_years"] = wq.NumericRange("year", req.year_from, req.year_to)
        return out

    def _facet(self, name: str) -> sorting.FieldFacet:
        fieldname = FACET_FIELDS[name]
        return sorting.FieldFacet(
            fieldname, allow_overlap=fieldname in MULTI_VALUED, maptype=sorting.Count
        )

    @staticmethod
    def _facet_values(name: str, groups: dict, selected: list[str], limit: int) -> list[FacetValue]:
        counts: dict[str, int] = {}
        for key, count in groups.items():
            if isinstance(key, bytes):
                key = key.decode("utf-8", "replace")
            if key in (None, "", 0):
                continue
            counts[str(key)] = counts.get(str(key), 0) + count
        for value in selected:  # a selected value always shows, even at 0
            counts.setdefault(value, 0)
        if name == "year":
            ordered = sorted(counts.items(), key=lambda kv: kv[0], reverse=True)
        else:
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [FacetValue(v, c, v in selected) for v, c in ordered[:limit]]

    def search(self, req: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        if req.page < 1 or req.per_page < 1:
            raise QueryError("page and per_page must be at least 1")
        if req.page * req.per_page > MAX_RESULT_WINDOW:
            raise QueryError(f"page × per_page may be at most {MAX_RESULT_WINDOW}")
        searcher, info = self._current()
        parsed = parse_user_query(req.query)
        text_q = build_query(parsed)
        filters = self._filter_queries(req, searcher)
        base = text_q if text_q is not None else wq.Every()
        main = wq.And([base, *filters.values()]) if filters else base

        if req.sort == "date" or text_q is None:
            sortedby = [sorting.FieldFacet("date", reverse=True), sorting.FieldFacet("id")]
        else:
            sortedby = None
        selected_facets = {n for n, v in req.filters.items() if v}
        groupedby = {}
        if req.with_facets:
            groupedby = {n: self._facet(n) for n in FACET_FIELDS if n not in selected_facets}
        limit = req.page * req.per_page
        results = searcher.search(
            main, limit=limit, sortedby=sortedby, groupedby=groupedby or None, terms=True
        )
        total = len(results)
        facets: dict[str, list[FacetValue]] = {}
        if req.with_facets:
            for name in FACET_FIELDS:
                selected = [str(v) for v in req.filters.get(name, [])]
                if name in selected_facets:
                    # Disjunctive faceting: count this facet as if its own selection
                    # were lifted, so the alternatives stay visible.
                    others = [q for n, q in filters.items() if n != name]
                    q = wq.And([base, *others]) if others else base
                    groups = searcher.search(
                        q, limit=1, groupedby={name: self._facet(name)}
                    ).groups(name)
                else:
                    groups = results.groups(name)
                facets[name] = self._facet_values(name, groups, selected, req.facet_limit)

        results.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
        results.formatter = _Mark()
        hits = []
        start = (req.page - 1) * req.per_page
        for hit in results[start:limit]:
            stored = hit.fields()
            snippet = ""
            if text_q is not None:
                snippet = hit.highlights("body", top=2) or hit.highlights("title", top=1)
            if not snippet:
                fallback = stored.get("description") or stored.get("body", "")[:SNIPPET_CHARS]
                snippet = html.escape(fallback)
            hits.append(
                Hit(
                    id=stored["id"],
                    url=stored["url"],
                    title=stored["title"],
                    site=stored["site"],
                    type=stored["type"],
                    themes=_split(stored.get("themes")),
                    audience=_split(stored.get("audience")),
                    date=stored.get("date") or None,
                    snippet=snippet,
                    score=_score(hit),
                    description=stored.get("description", ""),
                    fetched_at=stored.get("fetched_at", ""),
                    word_count=int(stored.get("word_count") or 0),
                    content_type=stored.get("content_type", "text/html"),
                )
            )
        took = (time.perf_counter() - started) * 1000
        return SearchResult(req, total, hits, facets, None, round(took, 2), info)

    # --- documents ------------------------------------------------------------

    def document(self, doc_id: str) -> StoredDocument | None:
        searcher, _ = self._current()
        stored = searcher.document(id=doc_id)
        if stored is None:
            return None
        return StoredDocument(
            id=stored["id"],
            url=stored["url"],
            title=stored["title"],
            site=stored["site"],
            source=stored.get("source", ""),
            type=stored["type"],
            themes=_split(stored.get("themes")),
            audience=_split(stored.get("audience")),
            date=stored.get("date") or None,
            description=stored.get("description", ""),
            text=stored.get("body", ""),
            fetched_at=stored.get("fetched_at", ""),
            word_count=int(stored.get("word_count") or 0),
            content_type=stored.get("content_type", "text/html"),
        )

    def similar(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """Documents like this one (Whoosh's more-like-this on the body text)."""
        searcher, _ = self._current()
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            return []
        out = []
        for hit in searcher.more_like(docnum, "body", top=limit, numterms=15):
            s = hit.fields()
            out.append(
                Hit(
                    id=s["id"],
                    url=s["url"],
                    title=s["title"],
                    site=s["site"],
                    type=s["type"],
                    themes=_split(s.get("themes")),
                    audience=_split(s.get("audience")),
                    date=s.get("date") or None,
                    snippet=html.escape(s.get("description", "")),
                    score=_score(hit),
                )
            )
        return out
