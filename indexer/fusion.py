"""Fusion: one ranking from the lexical and the dense stage.

Reciprocal-rank fusion (Cormack et al., 2009): a page's fused score is
1 / (K + lexical rank) + DENSE_WEIGHT / (K + dense rank), ranks counted from 1 among the
candidates, a missing rank adding nothing. Lexical matches below the ranked depth keep
BM25's order, under every ranked page. A page that has none of the query's words joins
the hits only when it is among the MEANING_TOP nearest pages, its cosine is at least
MEANING_FLOOR and within MEANING_MARGIN of the nearest page's: a match by meaning (never
for a query with "exact phrases", never a page with an excluded word), and it never ranks
above the best page that has every word typed (`words_first`). On the tuning
queries, e5's cosine of a page judged useful (grade 2-3) is 0.86 or more for three in
four, while nonsense ("qwxzyv") reaches 0.82 at most. Without the dense stage the
ranking is the lexical one, unchanged. The choice of fusion and its constants are
measured in `python -m bench relevance` (docs/search.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lexical import Lexical
from .semantic import Dense

# Chosen on the tuning and validation queries together (docs/search.md, "Fusion"): the
# tuning set alone, on which the lexical stages were tuned, chose 0.3 and undervalued
# meaning (validation nDCG@10 0.603 against 0.657 at 0.7).
METHOD = "blend"
BLEND_DENSE = 0.7
K = 60
DENSE_WEIGHT = 1.0
RERANK_DEPTH = 50
MEANING_TOP = 20
MEANING_MARGIN = 0.06
MEANING_FLOOR = 0.85
# Scores are rounded here, so the order and the score a hit shows agree exactly (ties
# then go by document id, as everywhere).
DECIMALS = 6


@dataclass
class Fused:
    match: np.ndarray  # bool: lexical matches and matches by meaning
    score: np.ndarray  # float64; only meaningful where `match`
    meaning: np.ndarray  # bool: matched by meaning only
    dense: Dense | None


def _ranks(docs: np.ndarray, n: int) -> np.ndarray:
    rank = np.zeros(n, dtype=np.float64)
    rank[docs] = np.arange(1, len(docs) + 1)
    return rank


def _rrf(lexical: Lexical, dense: Dense, by_cosine: np.ndarray, n: int) -> np.ndarray:
    """Reciprocal-rank fusion of the ranked lexical pages and the dense candidates."""
    score = np.zeros(n)
    lexical_rank = _ranks(lexical.order, n)
    ranked = lexical_rank > 0
    score[ranked] += 1.0 / (K + lexical_rank[ranked])
    dense_rank = _ranks(by_cosine, n)
    scored = dense_rank > 0
    score[scored] += DENSE_WEIGHT / (K + dense_rank[scored])
    return score


def _blend(lexical: Lexical, dense: Dense, by_cosine: np.ndarray, n: int) -> np.ndarray:
    """A weighted sum of both scores, each scaled to 0..1 over the candidates."""
    score = np.zeros(n)
    ranked = lexical.order
    if len(ranked):
        lex = lexical.scored.score[ranked]
        score[ranked] += (1 - BLEND_DENSE) * lex / (float(lex.max()) or 1.0)
    cos = dense.cosine[by_cosine].astype(np.float64)
    if len(cos):
        low, high = float(cos.min()), float(cos.max())
        score[by_cosine] += BLEND_DENSE * (cos - low) / ((high - low) or 1.0)
    return score


def _rerank(lexical: Lexical, dense: Dense, by_cosine: np.ndarray, n: int) -> np.ndarray:
    """The best RERANK_DEPTH lexical pages re-ordered by cosine; the dense-only
    candidates below them, by cosine."""
    score = np.zeros(n)
    head = lexical.order[:RERANK_DEPTH]
    score[by_cosine] = dense.cosine[by_cosine]
    score[head] += 2.0  # cosines are below 1: the lexical head stays on top
    return score


METHODS = {"rrf": _rrf, "blend": _blend, "rerank": _rerank}


def fuse(lexical: Lexical, dense: Dense | None, tie: np.ndarray) -> Fused:
    n = len(lexical.match)
    if lexical.scored is None:  # no words: nothing to rank
        return Fused(lexical.match, np.zeros(n), np.zeros(n, bool), None)
    lexical_score = lexical.scored.score
    if dense is None:
        return Fused(lexical.match, np.round(lexical_score, DECIMALS), np.zeros(n, bool), None)
    cands = dense.candidates
    by_cosine = cands[np.lexsort((tie[cands], -dense.cosine[cands]))]
    score = METHODS[METHOD](lexical, dense, by_cosine, n)
    # Lexical matches below the fused ones: BM25's order, under every fused page.
    rest = lexical.match & (score <= 0)
    if rest.any():
        positive = score[score > 0]
        floor = float(positive.min()) / 2 if len(positive) else 1.0
        top_rest = float(lexical_score[rest].max()) or 1.0
        score[rest] += floor * lexical_score[rest] / top_rest
    meaning = np.zeros(n, bool)
    if len(by_cosine) and not lexical.exact:
        nearest = by_cosine[:MEANING_TOP]
        best = float(dense.cosine[by_cosine[0]])
        floor = max(MEANING_FLOOR, best - MEANING_MARGIN)
        meaning[nearest[dense.cosine[nearest] >= floor]] = True
        meaning &= ~lexical.match & ~lexical.excluded
    return Fused(lexical.match | meaning, np.round(score, DECIMALS), meaning, dense)


def words_first(fused: Fused, lexical: Lexical) -> np.ndarray:
    """The fused scores with every page matched by meaning alone kept below the best
    page that has every word typed, in their own order: who types a rare word wants the
    page that has it first, and a page that merely reads alike after it."""
    score = fused.score
    full = lexical.match & lexical.all_words  # never a meaning match: those lack the words
    if not fused.meaning.any() or not full.any():
        return score
    cap = float(score[full].max())
    over = np.flatnonzero(fused.meaning & (score >= cap))
    if not len(over):
        return score
    score = score.copy()
    # Steps of 10^-DECIMALS keep them distinct after rounding, best first.
    ranked = over[np.argsort(-score[over], kind="stable")]
    score[ranked] = np.round(cap - 10.0**-DECIMALS * np.arange(1, len(ranked) + 1), DECIMALS)
    return score
