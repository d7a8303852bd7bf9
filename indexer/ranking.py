"""Scores a query over the whole index at once, with numpy on `indexer/vectors_read.py`.

The query tree is the one `indexer/query.py` builds (Whoosh query objects, so the
syntax, the analysis and the snippets' words have one source); here it is evaluated
node by node into dense arrays over every document — which documents match, their
score, and how many of the query's terms each one has — instead of Whoosh's
document-at-a-time matchers. The scoring is Whoosh's: BM25F per field (B 0.75, K1 1.2,
idf = log(N / (df + 1)) + 1, field lengths as Whoosh stores them), boosts multiplied,
scores of combined clauses added, and the SQR coordination bonus of `Or(scale=...)`
(Apple's V-Twin, as Whoosh's CoordMatcher). Two differences, both deliberate: the
coordination counts the terms of the whole index (Whoosh counts per segment and
recounts as posting lists run out, so a score depended on where a document sits), and
an `Or` with a single term left gets no coordination (Whoosh scores that 0 for all).
Phrases are matched on positions: ordered, each word 1..slop positions after the last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from .vectors_read import TermPostings, VectorIndex

B = 0.75
K1 = 1.2


@dataclass
class Scored:
    """A (sub)query's result over every document."""

    match: np.ndarray  # bool
    score: np.ndarray  # float64
    hits: np.ndarray  # int32: the query's terms this document has
    terms: int  # the query's terms that occur in the index


class UnsupportedQuery(ValueError):
    """A query node this evaluator has no rule for."""


class Ranker:
    """Evaluates query trees over one `VectorIndex`."""

    def __init__(self, vectors: VectorIndex) -> None:
        self.v = vectors
        self.n = vectors.doc_count

    def _empty(self) -> Scored:
        n = self.n
        return Scored(np.zeros(n, bool), np.zeros(n), np.zeros(n, np.int32), 0)

    def term_scores(self, fieldname: str, post: TermPostings) -> np.ndarray:
        """BM25 of every posting of a term (Whoosh's `scoring.bm25`)."""
        v = self.v
        idf = np.log(v.doc_count / (len(post.docs) + 1)) + 1
        tf = post.weights.astype(np.float64)
        fl = v.lengths[fieldname][post.docs]
        norm = K1 * ((1 - B) + B * fl / v.avg_length[fieldname])
        return idf * (tf * (K1 + 1)) / (tf + norm)

    def evaluate(self, q: wq.Query, within: np.ndarray | None = None) -> Scored:
        """The documents `q` matches (and not deleted), with scores. `within` limits
        the work of phrases to those documents (the re-ranking of a page's top hits)."""
        out = self._eval(q, within)
        out.match &= self.v.live
        if within is not None:
            out.match &= within
        return out

    def _eval(self, q: wq.Query, within: np.ndarray | None) -> Scored:
        if isinstance(q, wq.Term):
            out = self._term(q)
        elif isinstance(q, wq.Phrase):
            out = self._phrase(q, within)
        elif isinstance(q, wq.Every):
            out = self._empty()
            out.match[:] = True
        elif isinstance(q, wq.AndMaybe):
            a, b = self._eval(q.a, within), self._eval(q.b, within)
            extra = b.match & a.match
            a.score += np.where(extra, b.score, 0.0)
            a.hits += np.where(extra, b.hits, 0).astype(np.int32)
            out = Scored(a.match, a.score, a.hits, a.terms + b.terms)
        elif isinstance(q, wq.AndNot):
            a, b = self._eval(q.a, within), self._eval(q.b, within)
            a.match &= ~b.match
            out = a
        elif isinstance(q, wq.And | wq.Or) and q.subqueries:
            parts = [self._eval(sub, within) for sub in q.subqueries]
            out = parts[0]
            for p in parts[1:]:
                if isinstance(q, wq.And):
                    out.match &= p.match
                else:
                    out.match |= p.match
                out.score += p.score
                out.hits += p.hits
                out.terms += p.terms
            if isinstance(q, wq.Or) and q.scale and out.terms > 1:
                out.score = self._coordinated(out, q.scale)
        elif isinstance(q, wq.And | wq.Or):
            out = self._empty()
        else:
            raise UnsupportedQuery(f"no ranking rule for {type(q).__name__}")
        if q.boost != 1.0 and not isinstance(q, wq.Term | wq.Phrase):
            out.score *= q.boost
        out.score[~out.match] = 0.0
        out.hits[~out.match] = 0
        return out

    @staticmethod
    def _coordinated(s: Scored, scale: float) -> np.ndarray:
        # SQR: (score + (matching - 1) / (terms - scale)^2) * (terms - 1) / terms
        t = s.terms
        return (s.score + (s.hits - 1) / (t - scale) ** 2) * ((t - 1) / t)

    def _term(self, q: wq.Term) -> Scored:
        post = self.v.postings(q.fieldname, q.text)
        out = self._empty()
        if post is None or not len(post.docs):
            return out
        out.match[post.docs] = True
        out.score[post.docs] = self.term_scores(q.fieldname, post) * q.boost
        out.hits[post.docs] = 1
        out.terms = 1
        return out

    def _phrase(self, q: wq.Phrase, within: np.ndarray | None) -> Scored:
        out = self._empty()
        posts = [self.v.postings(q.fieldname, w) for w in q.words]
        if not posts or any(p is None for p in posts):
            return out
        # Each word as a term: where it occurs, and its score there.
        words = [self._term(wq.Term(q.fieldname, w)) for w in q.words]
        candidates = np.ones(self.n, bool) if within is None else within.copy()
        candidates &= self.v.live
        for word in words:
            candidates &= word.match
        if not candidates.any():
            out.terms = len(posts)
            return out
        ends = posts[0].keys(candidates)
        for p in posts[1:]:
            keys = p.keys(candidates)
            # Keep the positions with an end of the phrase so far 1..slop before them:
            # both lists are sorted (document << 32 | position), so two binary searches
            # per position find whether [key - slop, key - 1] holds one.
            lo = np.searchsorted(ends, keys - max(1, q.slop), side="left")
            hi = np.searchsorted(ends, keys - 1, side="right")
            ends = keys[hi > lo]
            if not len(ends):
                break
        found = np.unique(ends >> 32)
        out.match[found] = True
        out.score = sum(word.score for word in words) * q.boost  # zeroed off the matches
        out.hits[found] = len(posts)
        out.terms = len(posts)
        return out


def top(match: np.ndarray, score: np.ndarray, tie: np.ndarray, k: int | None) -> np.ndarray:
    """Document numbers of the `k` best matches (all when None): highest score first,
    ties by `tie` (a rank per document)."""
    docs = np.flatnonzero(match)
    if k is not None and len(docs) > 4 * k + 64:
        s = score[docs]
        # Everything scoring at least the k-th best (ties at the border included).
        border = np.partition(s, len(s) - k)[len(s) - k]
        docs = docs[s >= border]
    order = np.lexsort((tie[docs], -score[docs]))
    docs = docs[order]
    return docs if k is None else docs[:k]


def ordered(match: np.ndarray, rank: np.ndarray, k: int | None) -> np.ndarray:
    """Document numbers of the matches in the order of `rank` (e.g. newest first)."""
    docs = np.flatnonzero(match)
    if k is not None and len(docs) > 4 * k + 64:
        border = np.partition(rank[docs], k - 1)[k - 1]
        docs = docs[rank[docs] <= border]
    docs = docs[np.argsort(rank[docs], kind="stable")]
    return docs if k is None else docs[:k]
