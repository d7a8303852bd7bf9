"""The search engine's small interface, and the search pipeline it orchestrates.

The search app asks `SearchIndex` for results, facets, documents and similar documents
and gets plain dataclasses (`indexer/search_types.py`); it never sees a Whoosh object.
A search runs the same stages, top to bottom, for the page, the API, the exports and
the feed:

    parse the query                 indexer/query.py
    lexical candidates              indexer/lexical.py   (BM25F, feedback, proximity)
    dense candidates                indexer/semantic.py  (passage embeddings)
    fuse                            indexer/fusion.py    (score blend; meaning below words)
    re-rank by intent               indexer/rerank.py    (how-to queries)
    filter, collapse, count         indexer/filters.py, indexer/collapse.py
    present                         indexer/present.py   (hits, snippets, facets)
    correct the spelling            indexer/correction.py

What a search counts (`total`, facets, export rows, feed entries) is the same set
everywhere: the pages with at least one of the query's words plus the pages matched
by meaning, each publication once. Sorted by date (and in the feed) only full matches
count: pages with every query word the index knows, and pages matched by meaning.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import reduce
from operator import and_
from pathlib import Path

import numpy as np

from . import integrity
from .autocomplete import Completion
from .build import BuildInfo, IndexMissing
from .correction import correction_for
from .embedder import dense_status, get_embedder
from .filters import YEAR_BOUNDS, filter_bits
from .fusion import Fused, fuse, words_first
from .lexical import Lexical, lexical_stage
from .present import (
    attachment_of,
    copies_of,
    facets,
    lexical_snippet,
    make_hit,
    marked_words,
    passage_snippet,
    split_list,
)
from .query import parse_user_query
from .ranking import ordered, top
from .rerank import with_intent
from .search_types import (
    MATCH_MEANING,
    MATCH_SOME,
    MATCH_WORDS,
    Attachment,
    Copy,
    FacetValue,
    Hit,
    HitStream,
    IndexCorrupt,
    QueryError,
    SearchRequest,
    SearchResult,
    StoredDocument,
)
from .semantic import dense_stage, embed_query
from .versions import IndexVersion, Versions

__all__ = [
    "Attachment",
    "Copy",
    "FacetValue",
    "Hit",
    "HitStream",
    "IndexCorrupt",
    "QueryError",
    "SearchIndex",
    "SearchRequest",
    "SearchResult",
    "StoredDocument",
    "MAX_RESULT_WINDOW",
    "YEAR_BOUNDS",
]

MAX_RESULT_WINDOW = 10_000


@dataclass
class _Answer:
    """A request's match set over one index version, ranked but not yet presented."""

    lexical: Lexical
    fused: Fused
    match: np.ndarray  # what the request counts, before collapsing
    hidden: np.ndarray  # the matched members of groups not counted
    base_bits: int
    filter_bits: dict[str, int]
    by_date: bool

    @property
    def total(self) -> int:
        return int(self.match.sum() - self.hidden.sum())

    @property
    def lexical_total(self) -> int:
        return int((self.match & ~self.fused.meaning).sum())

    def order(self, v: IndexVersion, k: int | None) -> np.ndarray:
        """Document numbers of the first `k` matches (all when None), before
        collapsing: by fused score, ties by id; or newest first."""
        if self.by_date or self.lexical.scored is None:
            return ordered(self.match, v.ranks.newest_first, k)
        return top(self.match, self.fused.score, v.ranks.by_id, k)

    def how(self, docnum: int) -> str:
        if self.fused.meaning[docnum]:
            return MATCH_MEANING
        if self.lexical.scored is None or self.lexical.all_words[docnum]:
            return MATCH_WORDS
        return MATCH_SOME


def _embedding_text(parsed) -> str:
    return " ".join([*parsed.words, *parsed.phrases])


class SearchIndex:
    """Read access to the current index of a data dir."""

    def __init__(self, data_dir: Path, *, semantic: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self._versions = Versions(self.data_dir)
        # False: lexical-only, whatever the index has (for measuring the dense stage).
        self._semantic = semantic
        # Whoosh readers are not thread-safe: a segment's files are shared objects that
        # are seek()ed then read, so two threads reading at once get each other's bytes
        # (UnicodeDecodeError / unpickling garbage under load). Every read of the shared
        # searcher holds this lock; the GIL serialises the pure-Python search anyway.
        # It also turns errors from damaged index files into IndexCorrupt.
        self._reading = integrity.GuardedLock(self.data_dir, expected=(QueryError, IndexMissing))

    def _current(self) -> IndexVersion:
        return self._versions.current()

    def close(self) -> None:
        """Close the files of the open index version."""
        with self._reading:
            self._versions.close()

    def info(self) -> BuildInfo:
        with self._reading:
            return self._current().info

    def semantic(self) -> bool:
        """Whether the current index has passage embeddings to search by meaning."""
        return self._current().dense is not None

    def meaning_status(self) -> str:
        """One Dutch line for `kennisbank status` and /bronnen: whether this process
        searches by meaning, and if not, why (it then searches by words alone)."""
        dense = self._current().dense
        if not self._semantic:
            return "zoeken op betekenis: uit (alleen op woorden gevraagd)"
        if dense is None:
            return (
                "zoeken op betekenis: uit (deze index heeft geen passagevectoren: "
                "`kennisbank index --rebuild` met het taalmodel geïnstalleerd)"
            )
        status = dense_status()
        embedder = get_embedder()
        if embedder is not None and embedder.model_id != dense.model_id:
            return (
                f"zoeken op betekenis: uit (de index is gemaakt met {dense.model_id}, "
                f"hier draait {embedder.model_id}: `kennisbank index --rebuild`)"
            )
        return status

    # --- the pipeline -----------------------------------------------------------

    def _answer(self, v: IndexVersion, req: SearchRequest) -> tuple[_Answer, object]:
        parsed = parse_user_query(req.query)
        # The model embeds the query on its own thread while the lexical stage runs.
        pending = embed_query(v, _embedding_text(parsed)) if self._semantic else None
        lexical = lexical_stage(v, parsed)
        dense = dense_stage(v, pending, lexical.order) if lexical.query is not None else None
        fused = fuse(lexical, dense, v.ranks.by_id)
        fused.score = with_intent(v, parsed, fused.score)
        fused.score = words_first(fused, lexical)
        by_date = req.sort == "date"
        eligible = fused.match
        if by_date and lexical.query is not None:
            eligible = fused.match & (lexical.all_words | fused.meaning)
        fbits = filter_bits(v, req)
        base_bits = v.bits.from_mask(eligible)
        match = v.bits.to_mask(reduce(and_, fbits.values(), base_bits))
        hidden = v.groups.hidden(match)
        return _Answer(lexical, fused, match, hidden, base_bits, fbits, by_date), parsed

    def _counted(self, v: IndexVersion, bits: int) -> int:
        """A match set's bits with the group members it does not count taken out."""
        mask = v.bits.to_mask(bits)
        hidden = v.groups.hidden(mask)
        return v.bits.from_mask(mask & ~hidden) if hidden.any() else bits

    def _hit(
        self,
        v: IndexVersion,
        answer: _Answer,
        words,
        shown: int,
        ranked: int,
        *,
        with_text: bool = False,
    ) -> Hit:
        stored = v.searcher.stored_fields(shown)
        snippet = lexical_snippet(stored, words)
        dense = answer.fused.dense
        if not snippet and shown == ranked and dense is not None and dense.passage[ranked] > 0:
            # Found by meaning: show the passage that matched best (0 is the head).
            start, end = v.dense.span(ranked, int(dense.passage[ranked]))
            snippet = passage_snippet(stored.get("body", "")[start:end])
        score = 0.0
        if answer.lexical.scored is not None and not answer.by_date:
            score = float(answer.fused.score[ranked])
        return make_hit(
            stored,
            snippet,
            score,
            copies=copies_of(v, shown),
            pdf=attachment_of(v, shown),
            match=answer.how(ranked),
            text=stored.get("body", "") if with_text else "",
        )

    # --- search -------------------------------------------------------------

    def search(self, req: SearchRequest) -> SearchResult:
        with self._reading:
            return self._search(req)

    def _search(self, req: SearchRequest, *, correcting: bool = True) -> SearchResult:
        started = time.perf_counter()
        if req.page < 1 or req.per_page < 1:
            raise QueryError("page and per_page must be at least 1")
        if req.page * req.per_page > MAX_RESULT_WINDOW:
            raise QueryError(f"page × per_page may be at most {MAX_RESULT_WINDOW}")
        v = self._current()
        answer, parsed = self._answer(v, req)
        limit = req.page * req.per_page
        docs = answer.order(v, limit + int(answer.hidden.sum()))
        words = marked_words(answer.lexical.query)
        start = (req.page - 1) * req.per_page
        hits = [
            self._hit(v, answer, words, shown, ranked)
            for shown, ranked in v.groups.collapsed(docs.tolist(), start, limit, answer.match)
        ]
        found_facets = {}
        if req.with_facets:
            found_facets = facets(v, req, answer.base_bits, answer.filter_bits)
        took = round((time.perf_counter() - started) * 1000, 2)
        result = SearchResult(
            req,
            answer.total,
            hits,
            found_facets,
            None,
            took,
            v.info,
            not_found=answer.lexical.not_found,
            semantic=answer.fused.dense is not None,
        )
        if not correcting:
            return result
        suggestion = correction_for(v, parsed, answer.lexical_total, req.page)
        if suggestion is None:
            return result
        if answer.lexical_total == 0:
            corrected = self._search(replace(req, query=suggestion), correcting=False)
            if corrected.total:
                return replace(corrected, request=req, suggestion=suggestion, corrected=True)
        return replace(result, suggestion=suggestion)

    # --- the whole result set, streamed (exports, feeds) -----------------------

    def iter_hits(
        self, req: SearchRequest, cap: int | None = None, *, with_text: bool = False
    ) -> HitStream:
        """Every hit of `req` in rank order, streamed: `HitStream.hits` loads one
        document's stored fields at a time, so memory does not grow with the documents.

        The same hits, in the same order and collapsed the same way, as the pages of
        `search` (ties broken by document id, so the same request on the same index
        always yields the same sequence). `req.page`, `req.per_page` and
        `req.with_facets` are ignored.
        """
        with self._reading:
            v = self._current()
            answer, _ = self._answer(v, req)
            docs = answer.order(v, None)
        total = answer.total
        words = marked_words(answer.lexical.query)
        limit = total if cap is None else min(cap, total)

        def hits() -> Iterator[Hit]:
            for shown, ranked in v.groups.collapsed(docs.tolist(), 0, limit, answer.match):
                # One hit's reads at a time under the lock, released before the yield;
                # `v` (not only its searcher) is held so a swap cannot close its files.
                with self._reading:
                    hit = self._hit(v, answer, words, shown, ranked, with_text=with_text)
                yield hit

        return HitStream(req, total, v.info, hits())

    # --- suggestions as you type ------------------------------------------------

    def complete(self, prefix: str, limit: int = 8) -> list[Completion]:
        """Titles, themes and frequent phrases that complete `prefix`, best first."""
        with self._reading:
            completer = self._current().completer
        return completer.complete(prefix, limit)

    # --- documents ------------------------------------------------------------

    def url_groups(self) -> dict[str, str]:
        """URL -> the URL of the hit it is shown as, for every document that is shown
        together with others (near-duplicates, a landing page and its PDF)."""
        with self._reading:
            v = self._current()
            url = {}
            for docs in v.groups.members.values():
                for d in docs:
                    url[d] = v.searcher.stored_fields(d)["url"]
            return {
                url[d]: url[v.groups.preferred[key]]
                for key, docs in v.groups.members.items()
                for d in docs
            }

    def documents_per_source(self) -> dict[str, int]:
        """How many publications each source (sources.toml name) has in the index,
        counted as a search counts them."""
        with self._reading:
            v = self._current()
            everything = self._counted(v, v.bits.live)
            out = {}
            for term in v.searcher.lexicon("source"):
                name = term.decode("utf-8") if isinstance(term, bytes) else term
                out[name] = (v.bits.term_bits("source", name) & everything).bit_count()
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
            themes=split_list(stored.get("themes")),
            audience=split_list(stored.get("audience")),
            date=stored.get("date") or None,
            description=stored.get("description", ""),
            text=stored.get("body", ""),
            fetched_at=stored.get("fetched_at", ""),
            word_count=int(stored.get("word_count") or 0),
            content_type=stored.get("content_type", "text/html"),
        )

    def similar(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """Documents like this one: nearest by their passage embeddings when the index
        has them, else Whoosh's more-like-this on the body text."""
        with self._reading:
            v = self._current()
            docnum = v.searcher.document_number(id=doc_id)
            if docnum is None:
                return []
            if v.dense is not None:
                return self._similar_by_meaning(v, docnum, limit)
            return [
                make_hit(hit.fields(), "", round(float(hit.score), 4))
                for hit in v.searcher.more_like(docnum, "body", top=limit, numterms=15)
            ]

    def _similar_by_meaning(self, v: IndexVersion, docnum: int, limit: int) -> list[Hit]:
        """The nearest pages by their passage embeddings, each publication once and
        never this document's own group."""
        docs, cosines = v.dense.similar(docnum, limit + 2 + len(v.groups.copies(docnum)))
        own = v.groups.shown_as(docnum)
        out: list[Hit] = []
        seen: set[int] = {own}
        for other, cosine in zip(docs.tolist(), cosines.tolist(), strict=True):
            shown = v.groups.shown_as(other)
            if shown in seen or not v.ranker.v.live[other]:
                continue
            seen.add(shown)
            out.append(make_hit(v.searcher.stored_fields(shown), "", round(cosine, 4)))
            if len(out) >= limit:
                break
        return out
