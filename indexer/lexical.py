"""The lexical stage: the pages that contain the query's words, scored.

BM25F over the Dutch analysis (`indexer/ranking.py`), then pseudo-relevance feedback and
the pages-like-the-best step (`indexer/feedback.py`), then the proximity bonus for the
best pages (`indexer/rerank.py`). It also says, per typed word, whether the index has it
anywhere (`not_found`) and which pages have every word that it has (`all_words`): a hit
with all of them is a full match, one with some of them a partial match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from . import feedback
from .query import MAX_CLAUSES, ParsedQuery, build_query, phrase_query, word_clauses
from .ranking import Ranker, Scored, UnsupportedQuery, top
from .rerank import with_proximity
from .search_types import QueryError

# How many of the best lexical pages keep their order into the fusion; below them the
# order is BM25's alone.
RANKED_DEPTH = 300


@dataclass
class Lexical:
    query: wq.Query | None  # None: no words (a filter-only search)
    scored: Scored | None
    match: np.ndarray  # bool per document
    order: np.ndarray  # the best RANKED_DEPTH matches, best first
    all_words: np.ndarray  # bool: has every word the index has
    not_found: list[str]
    # What a match by meaning must respect too: the pages with an excluded word, and
    # whether the query asks for exact phrases (then meaning alone never matches).
    excluded: np.ndarray
    exact: bool


def matches(ranker: Ranker, q: wq.Query) -> np.ndarray:
    """Which documents a query matches, without scoring (postings only)."""
    if isinstance(q, wq.Term):
        out = np.zeros(ranker.n, bool)
        post = ranker.v.postings(q.fieldname, q.text)
        if post is not None:
            out[post.docs] = True
        return out
    if isinstance(q, wq.Or):
        return np.logical_or.reduce([matches(ranker, s) for s in q.subqueries] or [_none(ranker)])
    if isinstance(q, wq.And):
        return np.logical_and.reduce([matches(ranker, s) for s in q.subqueries] or [_none(ranker)])
    if isinstance(q, wq.AndMaybe):
        return matches(ranker, q.a)
    if isinstance(q, wq.AndNot):
        return matches(ranker, q.a) & ~matches(ranker, q.b)
    return ranker.evaluate(q).match  # phrases, Every


def _none(ranker: Ranker) -> np.ndarray:
    return np.zeros(ranker.n, bool)


def lexical_stage(v, parsed: ParsedQuery) -> Lexical:
    """The lexical candidates of a parsed query over one index version."""
    ranker = v.ranker
    text_q = build_query(parsed)
    if text_q is None:
        live = ranker.v.live.copy()
        return Lexical(None, None, live, np.empty(0, np.int64), live, [], ~live, True)
    try:
        scored = ranker.evaluate(text_q)
    except UnsupportedQuery as exc:  # query.py makes nothing else; say so if it does
        raise QueryError(str(exc)) from exc
    if parsed.words or parsed.phrases:
        scored = feedback.with_feedback(ranker, text_q, scored, v.ranks.by_id)
    order = top(scored.match, scored.score, v.ranks.by_id, RANKED_DEPTH)
    order = with_proximity(ranker, parsed, order, scored.score, v.ranks.by_id)
    all_words = scored.match.copy()
    not_found: list[str] = []
    for label, clause in word_clauses(parsed):
        found = matches(ranker, clause) & ranker.v.live
        if found.any():
            all_words &= found
        else:
            not_found.append(label)
    excluded = np.zeros(ranker.n, bool)
    for text in parsed.excluded[:MAX_CLAUSES]:
        q = phrase_query(text)
        if q is not None:
            excluded |= matches(ranker, q)
    exact = bool(parsed.phrases)
    return Lexical(text_q, scored, scored.match, order, all_words, not_found, excluded, exact)
