"""The search engine's small interface: what the search app asks for results, facets,
documents and similar documents, answered in plain dataclasses; the app never sees a
Whoosh object. Whoosh is imported only inside `indexer/`: it stores the index and the
documents, and `indexer/ranking.py` ranks on arrays copied from its postings
(`indexer/vectors.py`); counting is done on bit sets (`indexer/bitsets.py`).

One open index version per process (`_Version`: the searcher, the facet bit sets, the
ranking arrays, the sort orders), reused until the index changes: opening one reads
every document's columns. The `CURRENT` pointer is checked at most once a second, so a
new build is picked up without a restart.
"""

from __future__ import annotations

import html
import logging
import pickle
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import reduce
from operator import and_, or_
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.index import EmptyIndexError
from whoosh.index import IndexError as WhooshIndexError

from . import feedback, integrity, snippets
from .bitsets import DocBits
from .build import BuildInfo, IndexMissing, current_build
from .query import analyzed_positions, build_query, parse_user_query, proximity_query
from .ranking import Ranker, UnsupportedQuery, ordered, top
from .schema import FACET_FIELDS, MULTI_VALUED
from .suggest import VOCABULARY_FILE, Suggester
from .vectors import VectorFileError, VectorIndex

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
    VectorFileError,
)


def proximity_bonus(ranker: Ranker, parsed, docnums: np.ndarray) -> np.ndarray:
    """Extra score for the given top hits whose typed words stand close together (a
    phrase with slop), computed for those documents only; one value per document of
    `docnums`. The same for the page and the export."""
    near = proximity_query(parsed)
    if near is None or not len(docnums):
        return np.zeros(len(docnums))
    within = np.zeros(ranker.n, bool)
    within[docnums] = True
    found = ranker.evaluate(near, within)
    return np.where(found.match[docnums], found.score[docnums], 0.0)


def _reranked(ranker: Ranker, parsed, docs: np.ndarray, score: np.ndarray, tie) -> np.ndarray:
    """`docs` (best first) with the first RERANK_DEPTH re-ordered by score plus the
    proximity bonus; `score` gets the bonus added."""
    head = docs[:RERANK_DEPTH]
    bonus = proximity_bonus(ranker, parsed, head)
    if not bonus.any():
        return docs
    score[head] += bonus
    head = head[np.lexsort((tie[head], -score[head]))]
    return np.concatenate((head, docs[RERANK_DEPTH:]))


def _result_order(
    v: _Version, parsed, scored, match: np.ndarray, by_date: bool, k: int | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """(document numbers, scores or None) of the first `k` matches (all when None) in
    the one order the page and the export share: by score, ties by id, the best
    RERANK_DEPTH re-ranked by word proximity; or newest first (`by_date`, or a search
    without words)."""
    if by_date or scored is None:
        return ordered(match, v.ranks.newest_first, k), None
    score = scored.score
    docs = top(match, score, v.ranks.by_id, None if k is None else max(k, RERANK_DEPTH))
    return _reranked(v.ranker, parsed, docs, score, v.ranks.by_id), score


# The index on disk is damaged or cannot be opened (indexer/integrity.py).
IndexCorrupt = integrity.IndexDamaged


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
        for fieldname, passages in (("body", 2), ("title", 1)):
            terms = field_words.get(fieldname, frozenset())
            text = snippets.snippet(stored.get(fieldname, ""), terms, top=passages)
            if text:
                return text
    return ""


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


class _Version:
    """One open index version: the searcher and what is derived from it. It closes its
    searcher (and so its files) when the last request or export using it lets go; a
    request holds its version for its whole duration, so a swap never closes files
    under a reader."""

    def __init__(self, build: Path) -> None:
        self.build = build
        ix = whoosh_index.open_dir(str(build))
        self.searcher = ix.searcher()
        try:
            self.info = BuildInfo.read(build)
            self.bits = DocBits(self.searcher, FACET_FIELDS, MULTI_VALUED)
            self.ranker = Ranker(VectorIndex(build, self.searcher))
            self.ranks = _Ranks(self.searcher)
        except BaseException:
            self.searcher.close()
            raise

    def __del__(self) -> None:
        searcher = getattr(self, "searcher", None)
        if searcher is not None and not searcher.is_closed:
            try:
                searcher.close()
            except Exception:  # noqa: BLE001 (already half gone at interpreter exit)
                pass


class SearchIndex:
    """Read access to the current index of a data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._lock = threading.Lock()
        self._version: _Version | None = None
        self._checked = 0.0
        self._suggester: tuple[Path, Suggester] | None = None
        # Whoosh readers are not thread-safe: a segment's files are shared objects that
        # are seek()ed then read, so two threads reading at once get each other's bytes
        # (UnicodeDecodeError / unpickling garbage under load). Every read of the shared
        # searcher holds this lock; the GIL serialises the pure-Python search anyway.
        # It also turns errors from damaged index files into IndexCorrupt.
        self._reading = integrity.GuardedLock(self.data_dir, expected=(QueryError, IndexMissing))

    def _current(self) -> _Version:
        """The version to answer from; hold on to it (not to its parts) while reading."""
        now = time.monotonic()
        version = self._version
        if version is not None and now - self._checked < RECHECK_SECONDS:
            return version
        with self._lock:
            self._checked = now
            build = current_build(self.data_dir)
            if build is None:
                raise IndexMissing(
                    f"no index in {self.data_dir}: run `kennisbank crawl` and `kennisbank index`"
                )
            if self._version is None or build != self._version.build:
                integrity.check(build)  # CRC-32 of every file: a few GB/s
                try:
                    version = _Version(build)
                except _UNREADABLE as exc:
                    raise IndexCorrupt(f"{build.name} cannot be opened: {exc}") from exc
                # The old version closes itself once no request holds it any more.
                self._version = version
                log.info("serving index %s (%d documents)", build.name, version.info.documents)
            return self._version

    def info(self) -> BuildInfo:
        with self._reading:
            return self._current().info

    # --- search -------------------------------------------------------------

    @staticmethod
    def _filter_bits(v: _Version, req: SearchRequest) -> dict[str, int]:
        """Each active filter's documents as a bit set, by facet name."""
        facets = v.bits.facets
        out: dict[str, int] = {}
        for name, values in req.filters.items():
            if name not in FACET_FIELDS:
                raise QueryError(f"unknown filter {name!r}")
            if not values:
                continue
            keys = [str(int(v)) for v in values if str(v).isdigit()] if name == "year" else values
            out[name] = reduce(or_, (facets[name].get(str(k), 0) for k in keys), 0)
        if req.year_from is not None or req.year_to is not None:
            low = req.year_from if req.year_from is not None else YEAR_BOUNDS[0]
            high = req.year_to if req.year_to is not None else YEAR_BOUNDS[1]
            years = (b for y, b in facets["year"].items() if low <= int(y) <= high)
            out["_years"] = reduce(or_, years, 0)
        return out

    def _matches(self, v: _Version, req: SearchRequest, parsed):
        """(text query, its scores or None, the text query's bit set, filter bit sets)."""
        text_q = build_query(parsed)
        filter_bits = self._filter_bits(v, req)
        if text_q is None:
            return None, None, v.bits.live, filter_bits
        try:
            scored = v.ranker.evaluate(text_q)
        except UnsupportedQuery as exc:  # query.py makes nothing else; say so if it does
            raise QueryError(str(exc)) from exc
        if parsed.words or parsed.phrases:
            scored = feedback.with_feedback(v.ranker, text_q, scored, v.ranks.by_id)
        return text_q, scored, v.bits.from_mask(scored.match), filter_bits

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
        v = self._current()
        searcher, info = v.searcher, v.info
        parsed = parse_user_query(req.query)
        text_q, scored, base_bits, filter_bits = self._matches(v, req, parsed)
        selected_facets = {n for n, v in req.filters.items() if v}
        limit = req.page * req.per_page
        # Counting (the total and every facet) is done on bit sets, ranking on arrays.
        bits = v.bits
        match_bits = reduce(and_, filter_bits.values(), base_bits)
        dup_of = self._duplicates_matching(searcher, match_bits) if req.collapse_duplicates else {}
        # Collapsing hides at most this many of the first hits, so this many more are read.
        hidden = len(dup_of) - len(set(dup_of.values()))
        total = match_bits.bit_count() - hidden
        match = bits.to_mask(match_bits)
        docs, score = _result_order(v, parsed, scored, match, req.sort == "date", limit + hidden)
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
        for docnum in self._collapsed(docs.tolist(), dup_of, start, limit):
            stored = searcher.stored_fields(docnum)
            hits.append(
                _hit(
                    stored,
                    _snippet(stored, words),
                    0.0 if score is None else round(float(score[docnum]), 4),
                    copies=self._copies(searcher, stored) if dup_of else [],
                )
            )
        took = (time.perf_counter() - started) * 1000
        result = SearchResult(req, total, hits, facets, None, round(took, 2), info)
        return self._with_suggestion(result, parsed, v)

    # --- spelling suggestions -------------------------------------------------

    def _suggester_for(self, v: _Version) -> Suggester:
        build = v.build
        cached = self._suggester
        if cached is None or cached[0] != build:
            cached = (build, Suggester.from_file(build / VOCABULARY_FILE))
            self._suggester = cached
        return cached[1]

    def _with_suggestion(self, result: SearchResult, parsed, v: _Version) -> SearchResult:
        """Offer "Bedoelde je ...?" when the query finds little; when it finds nothing at
        all, answer with the suggestion's hits (the suggestion says whose they are)."""
        words = parsed.words
        if result.total >= SUGGEST_BELOW or not words or result.request.page != 1:
            return result

        def known(word: str) -> bool:
            positions = analyzed_positions(word)
            return not positions or all(
                any(v.searcher.doc_frequency(f, group[0]) for f in ("title", "body"))
                for group in positions
            )

        suggestion = self._suggester_for(v).suggest_query(words, known)
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
    def _collapsed(docs: list[int], dup_of: dict[int, str], start: int, stop: int):
        """Document numbers `start:stop` of `docs` once every near-duplicate group is
        cut back to its first (best-ranked) member."""
        if not dup_of:
            yield from docs[start:stop]
            return
        seen: set[str] = set()
        position = 0
        for docnum in docs:
            group = dup_of.get(docnum)
            if group is not None:
                if group in seen:
                    continue
                seen.add(group)
            if position >= stop:
                return
            if position >= start:
                yield docnum
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
        v = self._current()
        out = {}
        for term in v.searcher.lexicon("source"):
            name = term.decode("utf-8") if isinstance(term, bytes) else term
            out[name] = v.bits.term_bits("source", name).bit_count()
        return out

    def document(self, doc_id: str) -> StoredDocument | None:
        with self._reading:
            stored = self._current().searcher.document(id=doc_id)
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
        v = self._current()
        searcher = v.searcher
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            return []
        out = []
        for hit in searcher.more_like(docnum, "body", top=limit, numterms=15):
            out.append(_hit(hit.fields(), "", round(float(hit.score), 4)))
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
        v = self._current()
        info = v.info
        parsed = parse_user_query(req.query)
        text_q, scored, base_bits, filter_bits = self._matches(v, req, parsed)
        match = v.bits.to_mask(reduce(and_, filter_bits.values(), base_bits))
        docs, score = _result_order(v, parsed, scored, match, req.sort == "date", None)
        total = len(docs)
        words = _marked_words(text_q)
        limit = total if cap is None else min(cap, total)

        def hits() -> Iterator[Hit]:
            for docnum in docs[:limit].tolist():
                # One hit's reads at a time under the lock, released before the yield;
                # `v` (not only its searcher) is held so a swap cannot close its files.
                with self._reading:
                    stored = v.searcher.stored_fields(docnum)
                yield _hit(
                    stored,
                    _snippet(stored, words),
                    0.0 if score is None else round(float(score[docnum]), 4),
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


class _Ranks:
    """Sort orders of one searcher's documents, as a rank per document number: by id
    (what breaks ties of equal scores, so a repeated search gives the same order) and
    newest first (dates descending, undated last, ties by id)."""

    def __init__(self, searcher) -> None:
        reader = searcher.reader()
        n = reader.doc_count_all()
        ids = _column(reader, "id", n)
        dates = _column(reader, "date", n)
        self.by_id = _rank(np.argsort(np.asarray(ids, dtype=str), kind="stable"))
        # Undated ("") sorts below every date, so it comes last when reversed.
        date_codes = np.unique(np.asarray(dates, dtype=str), return_inverse=True)[1]
        self.newest_first = _rank(np.lexsort((self.by_id, -date_codes)))


def _column(reader, fieldname: str, n: int) -> list[str]:
    """A sortable column's value of every document, read per segment: a segment written
    before the field was sortable has no column, and whoosh-reloaded's multi-segment
    column reader then fails (IndexError) instead of reading around it."""
    out: list[str] = []
    for leaf, offset in reader.leaf_readers():
        assert offset == len(out)
        if leaf.has_column(fieldname):
            column = leaf.column_reader(fieldname)
            values = (column[docnum] for docnum in range(leaf.doc_count_all()))
        else:  # a segment written before the field was sortable
            values = (
                leaf.stored_fields(docnum).get(fieldname) for docnum in range(leaf.doc_count_all())
            )
        for value in values:
            out.append(value.decode("utf-8") if isinstance(value, bytes) else (value or ""))
    assert len(out) == n
    return out


def _rank(order: np.ndarray) -> np.ndarray:
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


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
