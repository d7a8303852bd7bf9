"""Re-ranking of the best candidates by evidence too costly to compute for every match.

Word proximity: the best RERANK_DEPTH lexical pages gain a bonus when the typed words
stand close together, in order (a phrase with slop, evaluated for those pages only).
"""

from __future__ import annotations

import numpy as np

from .query import ParsedQuery, proximity_query
from .ranking import Ranker

# How many of the best hits are re-ranked by word proximity.
RERANK_DEPTH = 50


def proximity_bonus(ranker: Ranker, parsed: ParsedQuery, docnums: np.ndarray) -> np.ndarray:
    """Extra score for the given top hits whose typed words stand close together (a
    phrase with slop), computed for those documents only; one value per document of
    `docnums`."""
    near = proximity_query(parsed)
    if near is None or not len(docnums):
        return np.zeros(len(docnums))
    within = np.zeros(ranker.n, bool)
    within[docnums] = True
    found = ranker.evaluate(near, within)
    return np.where(found.match[docnums], found.score[docnums], 0.0)


def with_proximity(
    ranker: Ranker, parsed: ParsedQuery, docs: np.ndarray, score: np.ndarray, tie: np.ndarray
) -> np.ndarray:
    """`docs` (best first) with the first RERANK_DEPTH re-ordered by score plus the
    proximity bonus; `score` gets the bonus added."""
    head = docs[:RERANK_DEPTH]
    bonus = proximity_bonus(ranker, parsed, head)
    if not bonus.any():
        return docs
    score[head] += bonus
    head = head[np.lexsort((tie[head], -score[head]))]
    return np.concatenate((head, docs[RERANK_DEPTH:]))
