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
import pickle
import struct
import threading
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import reduce
from operator import and_
from pathlib import Path

from whoosh import collectors, sorting
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.index import EmptyIndexError
from whoosh.index import IndexError as WhooshIndexError

from . import snippets
from .bitsets import DocBits
from .build import BuildInfo, IndexMissing, current_build
from .query import analyzed_positions, build_query, parse_user_query, proximity_query
from .schema import FACET_FIELDS, MULTI_VALUED
from .suggest import VOCABULARY_FILE, Suggester

log = logging.getLogger(__name__)

MAX_RESULT_WINDOW = 10_000
# How many of the best hits are re-ranked by word proximity.
RERANK_DEPTH = 50  # page * per_page beyond this is refused
RECHECK_SECONDS = 1.0
SNIPPET_CHARS = snippets.SNIPPET_CHARS
YEAR_BOUNDS = (1900, 2100)  # the years a request may name (search_app.settings)
# "Bedoelde je ...?" is offered when a query finds fewer hits than this.
SUGGEST_BELOW = 3


# What a damaged index folder raises on open: Whoosh's own IndexError (a bad TOC,
# "created on different architecture"), truncated or garbled files (struct, pickle).
_UNREADABLE = (
    EmptyIndexError,
    WhooshIndexError,
    OSError,
    ValueError,
    EOFError,
    KeyError,
    struct.error,
    pickle.UnpicklingError,
)


def proximity_bonus(searcher, parsed, docnums: list[int]) -> dict[int, float]:
    """Extra score for the top hits whose typed words stand close together (a phrase with
    slop), computed for those documents only. The same for the page and the export."""
    near = proximity_query(parsed)
    if near is None or not docnums:
        return {}
    found = searcher.search(near, filter=set(docnums), limit=len(docnums), optimize=False)
    return {docnum: score for score, docnum in found.top_n}


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
    # Show each near-duplicate group (indexer/neardup.py) once, at its best-ranked
    # member, with the other members as `Hit.copies`. Facet counts still count every
    # copy: each site really holds the text.
    collapse_duplicates: bool = False


@dataclass
class Copy:
    """Another copy of a hit's text, republished on another page ("ook op")."""

    id: str
    url: str
    site: str
    title: str


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
    copies: list[Copy] = field(default_factory=list)  # near-duplicates, when collapsed


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


def _hit(stored: dict, snippet: str, score: float, **extra) -> Hit:
    """A hit from a document's stored fields: the one place that maps them. Without a
    snippet the description (else the start of the text) stands in, escaped."""
    if not snippet:
        fallback = stored.get("description") or stored.get("body", "")[:SNIPPET_CHARS]
        snippet = html.escape(fallback)
    return Hit(
        id=stored["id"],
        url=stored["url"],
        title=stored["title"],
        site=stored["site"],
        type=stored["type"],
        themes=_split(stored.get("themes")),
        audience=_split(stored.get("audience")),
        date=stored.get("date") or None,
        snippet=snippet,
        score=score,
        description=stored.get("description", ""),
        fetched_at=stored.get("fetched_at", ""),
        word_count=int(stored.get("word_count") or 0),
        content_type=stored.get("content_type", "text/html"),
        **extra,
    )


def _marked_words(q: wq.Query | None) -> tuple[dict, dict]:
    """(the words as typed and their synonyms, every word the query matches on). A
    snippet marks the first where the text has them, and falls back to the second (a
    compound's parts), so "jeugdraden" does not light up every "jeugd" and "raad"."""
    if q is None:
        return {}, {}
    return _positive_terms(q, min_boost=1.0), _positive_terms(q)


def _snippet(stored: dict, words: tuple[dict, dict]) -> str:
    """The body's best passages with the query's words marked, else the title's."""
    for field_words in words:
        for fieldname, top in (("body", 2), ("title", 1)):
            terms = field_words.get(fieldname, frozenset())
            text = snippets.snippet(stored.get(fieldname, ""), terms, top=top)
            if text:
                return text
    return ""


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


class _FastReversedColumn(sorting.ReversedColumnCategorizer):
    """Whoosh's reversed column order with a dict lookup: its own `key_for` does a
    list.index over the distinct values for every hit (0.3 s at 10k hits by date)."""

    def __init__(self, global_searcher, fieldname: str) -> None:
        super().__init__(global_searcher, fieldname)
        self._order = {value: i for i, value in enumerate(self._values)}

    def key_for(self, matcher, segment_docnum):
        return 0 - self._order[self._creader[segment_docnum]]


class _NewestFirst(sorting.FieldFacet):
    """`FieldFacet(fieldname, reverse=True)` on a sortable field, fast."""

    def __init__(self, fieldname: str) -> None:
        super().__init__(fieldname, reverse=True)

    def categorizer(self, global_searcher):
        return _FastReversedColumn(global_searcher, self.fieldname)


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
        self._bits: DocBits | None = None
        self._suggester: tuple[Path, Suggester] | None = None
        # Whoosh readers are not thread-safe: a segment's files are shared objects that
        # are seek()ed then read, so two threads reading at once get each other's bytes
        # (UnicodeDecodeError / unpickling garbage under load). Every read of the shared
        # searcher holds this lock; the GIL serialises the pure-Python search anyway.
        self._reading = threading.RLock()

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
                    bits = DocBits(searcher, FACET_FIELDS, MULTI_VALUED)
                except _UNREADABLE as exc:
                    raise IndexCorrupt(
                        f"index {build} cannot be opened ({exc}); rebuild it with "
                        "`kennisbank index --rebuild`"
                    ) from exc
                # The old searcher is left to the garbage collector: a request in
                # another thread may still be reading from it.
                self._build, self._ix, self._searcher, self._info = build, ix, searcher, info
                self._bits = bits
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
            # whoosh-reloaded 2.7.5's NumericRange matches every document when an end
            # is open or far out (e.g. 0..1990, 2020..9999), so an open end gets the
            # bound the request parameters allow; ranges within it were checked exact.
            low = req.year_from if req.year_from is not None else YEAR_BOUNDS[0]
            high = req.year_to if req.year_to is not None else YEAR_BOUNDS[1]
            out["_years"] = wq.NumericRange("year", low, high)
        return out

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
        with self._reading:
            return self._search(req)

    def _search(self, req: SearchRequest) -> SearchResult:
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
            sortedby = [_NewestFirst("date"), sorting.FieldFacet("id")]
        else:
            sortedby = None
        selected_facets = {n for n, v in req.filters.items() if v}
        limit = req.page * req.per_page
        # Counting (the total and every facet) is done on bit sets; Whoosh only ranks.
        bits = self._bits
        base_bits = bits.query_bits(base)
        filter_bits = {n: bits.query_bits(q) for n, q in filters.items()}
        match_bits = reduce(and_, filter_bits.values(), base_bits)
        dup_of = self._duplicates_matching(searcher, match_bits) if req.collapse_duplicates else {}
        # Collapsing hides at most this many of the first hits, so this many more are read.
        hidden = len(dup_of) - len(set(dup_of.values()))
        total = match_bits.bit_count() - hidden
        ranked = sortedby is None and text_q is not None
        results = searcher.search(
            main,
            limit=max(limit + hidden, RERANK_DEPTH) if ranked else limit + hidden,
            sortedby=sortedby,
        )
        if ranked:
            head = results.top_n[:RERANK_DEPTH]
            bonus = proximity_bonus(searcher, parsed, [d for _, d in head])
            if bonus:
                head = sorted(((s + bonus.get(d, 0.0), d) for s, d in head),
                              key=lambda sd: (-sd[0], sd[1]))  # fmt: skip
                results.top_n = head + results.top_n[RERANK_DEPTH:]
        facets: dict[str, list[FacetValue]] = {}
        if req.with_facets:
            for name in FACET_FIELDS:
                selected = [str(v) for v in req.filters.get(name, [])]
                scope = match_bits
                if name in selected_facets:
                    # Disjunctive faceting: count this facet as if its own selection
                    # were lifted, so the alternatives stay visible.
                    others = [b for n, b in filter_bits.items() if n != name]
                    scope = reduce(and_, others, base_bits)
                groups = bits.counts(name, scope)
                facets[name] = self._facet_values(name, groups, selected, req.facet_limit)

        words = _marked_words(text_q)
        hits = []
        start = (req.page - 1) * req.per_page
        for hit in self._collapsed(results, dup_of, start, limit):
            stored = hit.fields()
            hits.append(
                _hit(
                    stored,
                    _snippet(stored, words),
                    _score(hit),
                    copies=self._copies(searcher, stored) if dup_of else [],
                )
            )
        took = (time.perf_counter() - started) * 1000
        result = SearchResult(req, total, hits, facets, None, round(took, 2), info)
        return self._with_suggestion(result, parsed, searcher)

    # --- spelling suggestions -------------------------------------------------

    def _suggester_for(self) -> Suggester:
        build = self._build
        cached = self._suggester
        if cached is None or cached[0] != build:
            path = build / VOCABULARY_FILE if build is not None else Path(VOCABULARY_FILE)
            cached = (build, Suggester.from_file(path))
            self._suggester = cached
        return cached[1]

    def _with_suggestion(self, result: SearchResult, parsed, searcher) -> SearchResult:
        """Offer "Bedoelde je ...?" when the query finds little; when it finds nothing at
        all, answer with the suggestion's hits (the suggestion says whose they are)."""
        words = parsed.words
        if result.total >= SUGGEST_BELOW or not words or result.request.page != 1:
            return result

        def known(word: str) -> bool:
            positions = analyzed_positions(word)
            return not positions or all(
                any(searcher.doc_frequency(f, group[0]) for f in ("title", "body"))
                for group in positions
            )

        suggestion = self._suggester_for().suggest_query(words, known)
        if suggestion is None:
            return result
        if result.total == 0:
            corrected = self.search(replace(result.request, query=suggestion))
            if corrected.total:
                return replace(corrected, request=result.request, suggestion=suggestion)
        return replace(result, suggestion=suggestion)

    # --- near-duplicates --------------------------------------------------------

    def _dup_groups(self, searcher) -> dict[int, str]:
        """Document number -> near-duplicate group of every grouped document, read once
        per searcher (grouped documents are few)."""
        cached = getattr(searcher, "_kb_dup_groups", None)
        if cached is None:
            cached = {}
            if "dup_group" in searcher.schema:
                for term in searcher.lexicon("dup_group"):
                    group = term.decode("utf-8") if isinstance(term, bytes) else term
                    for docnum in searcher.postings("dup_group", term).all_ids():
                        cached[docnum] = group
            searcher._kb_dup_groups = cached
        return cached

    def _duplicates_matching(self, searcher, match_bits: int) -> dict[int, str]:
        """The grouped documents in the match set, with their group."""
        groups = self._dup_groups(searcher)
        return {n: g for n, g in groups.items() if match_bits >> n & 1}

    @staticmethod
    def _collapsed(results, dup_of: dict[int, str], start: int, stop: int):
        """Hits `start:stop` of `results` once every near-duplicate group is cut back
        to its first (best-ranked) member."""
        if not dup_of:
            yield from results[start:stop]
            return
        seen: set[str] = set()
        position = 0
        for hit in results:
            group = dup_of.get(hit.docnum)
            if group is not None:
                if group in seen:
                    continue
                seen.add(group)
            if position >= stop:
                return
            if position >= start:
                yield hit
            position += 1

    @staticmethod
    def _copies(searcher, stored: dict) -> list[Copy]:
        group = stored.get("dup_group")
        if not group:
            return []
        return [
            Copy(id=d["id"], url=d["url"], site=d["site"], title=d["title"])
            for d in sorted(searcher.documents(dup_group=group), key=lambda d: d["site"])
            if d["id"] != stored["id"]
        ]

    # --- documents ------------------------------------------------------------

    def documents_per_source(self) -> dict[str, int]:
        """How many documents each source (sources.toml name) has in the index."""
        with self._reading:
            return self._documents_per_source()

    def _documents_per_source(self) -> dict[str, int]:
        searcher, _ = self._current()
        out = {}
        for term in searcher.lexicon("source"):
            name = term.decode("utf-8") if isinstance(term, bytes) else term
            out[name] = self._bits.term_bits("source", name).bit_count()
        return out

    def document(self, doc_id: str) -> StoredDocument | None:
        with self._reading:
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
        with self._reading:
            return self._similar(doc_id, limit)

    def _similar(self, doc_id: str, limit: int) -> list[Hit]:
        searcher, _ = self._current()
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            return []
        out = []
        for hit in searcher.more_like(docnum, "body", top=limit, numterms=15):
            out.append(_hit(hit.fields(), "", _score(hit)))
        return out

    # --- the whole result set, streamed (exports, feeds) -----------------------

    def iter_hits(
        self, req: SearchRequest, cap: int | None = None, *, with_text: bool = False
    ) -> HitStream:
        """Every hit of `req` in rank order, streamed: `HitStream.hits` loads one
        document's stored fields at a time, so memory does not grow with the documents.

        The order is the API's (score, or date for `sort=date` and filter-only
        searches), with ties broken by document id, so the same request on the same
        index always yields the same sequence. Only two compact arrays (document
        number, score) and the sort order grow with the number of hits.
        `req.page`, `req.per_page` and `req.with_facets` are ignored.
        """
        with self._reading:
            return self._iter_hits(req, cap, with_text)

    def _iter_hits(self, req: SearchRequest, cap: int | None, with_text: bool) -> HitStream:
        searcher, info = self._current()
        parsed = parse_user_query(req.query)
        text_q = build_query(parsed)
        filters = self._filter_queries(req, searcher)
        base = text_q if text_q is not None else wq.Every()
        main = wq.And([base, *filters.values()]) if filters else base
        by_date = req.sort == "date" or text_q is None

        collector = _AllMatches(scored=not by_date)
        context = searcher.context(needs_current=not by_date, weighting=searcher.weighting)
        searcher.search_with_collector(main, collector, context)
        docnums, scores = collector.docnums, collector.scores
        total = len(docnums)

        id_key = _sort_key(searcher, "id", reverse=False)
        if by_date:
            date_key = _sort_key(searcher, "date", reverse=True)
            order = sorted(range(total), key=lambda i: (date_key(docnums[i]), id_key(docnums[i])))
        else:
            order = sorted(range(total), key=lambda i: (-scores[i], id_key(docnums[i])))
            # The page re-ranks its best hits by word proximity: so does the export.
            bonus = proximity_bonus(searcher, parsed, [docnums[i] for i in order[:RERANK_DEPTH]])
            for i in order[:RERANK_DEPTH]:
                scores[i] += bonus.get(docnums[i], 0.0)
            order[:RERANK_DEPTH] = sorted(
                order[:RERANK_DEPTH], key=lambda i: (-scores[i], id_key(docnums[i]))
            )
        order_array = array("q", order)
        del order

        words = _marked_words(text_q)
        limit = total if cap is None else min(cap, total)

        def hits() -> Iterator[Hit]:
            for i in order_array[:limit]:
                # One hit's reads at a time under the lock, released before the yield.
                with self._reading:
                    stored = searcher.stored_fields(docnums[i])
                yield _hit(
                    stored,
                    _snippet(stored, words),
                    0.0 if by_date else round(scores[i], 4),
                    text=stored.get("body", "") if with_text else "",
                )

        return HitStream(req, total, info, hits())


@dataclass
class HitStream:
    """A whole result set: its size and index up front, the hits as they are read."""

    request: SearchRequest
    total: int
    index: BuildInfo
    hits: Iterator[Hit]


class _AllMatches(collectors.Collector):
    """Collects every match into two compact arrays: (document number, score)."""

    def __init__(self, scored: bool) -> None:
        self.scored = scored

    def prepare(self, top_searcher, q, context) -> None:
        super().prepare(top_searcher, q, context)
        self.docnums = array("q")
        self.scores = array("d")

    def collect(self, sub_docnum):
        self.docnums.append(self.offset + sub_docnum)
        if self.scored:
            self.scores.append(self.matcher.score())

    def sort_key(self, sub_docnum):
        return 0

    def count(self) -> int:
        return len(self.docnums)

    def all_ids(self):
        return self.docnums


def _sort_key(searcher, fieldname: str, reverse: bool):
    """A function docnum -> sort key from Whoosh's own categorizer, the one the API's
    `sortedby` uses (for the unsortable id field it caches the order in the searcher)."""
    categorizer = sorting.FieldFacet(fieldname, reverse=reverse).categorizer(searcher)
    categorizer.set_searcher(searcher, 0)
    return lambda docnum: categorizer.key_for(None, docnum)


def _positive_terms(q: wq.Query, min_boost: float = 0.0) -> dict[str, frozenset[str]]:
    """Field -> the words a query looks for (not the excluded ones): what to mark.
    `min_boost` leaves out the low-weight leaves (a compound's parts)."""
    out: dict[str, set[str]] = {}

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.AndNot):
            walk(node.a)
        elif isinstance(node, wq.Not):
            return
        elif node.is_leaf():
            if getattr(node, "boost", 1.0) < min_boost:
                return
            for fieldname, text in node.terms(phrases=True):
                word = text.decode("utf-8") if isinstance(text, bytes) else text
                out.setdefault(fieldname, set()).add(word)
        else:
            for child in node.children():
                walk(child)

    walk(q)
    return {k: frozenset(v) for k, v in out.items()}
