"""Re-ranking by evidence the first stages do not weigh.

Word proximity: the best RERANK_DEPTH lexical pages gain a bonus when the typed words
stand close together, in order (a phrase with slop, evaluated for those pages only).

Intent: a query that asks how to do something ("jeugdraad oprichten", "hoe ...", the
words in corpus/lang/howto-nl.txt) leans toward methods, tools and practice examples:
their scores are raised by HOWTO_LEAN.
"""

from __future__ import annotations

from functools import lru_cache, reduce
from operator import or_

import numpy as np

from .analysis import fold, read_lines
from .query import ParsedQuery, proximity_query
from .ranking import Ranker

# How many of the best hits are re-ranked by word proximity.
RERANK_DEPTH = 50
HOWTO_LEAN = 0.2
PRACTICAL_TYPES = ("methodiek", "praktijkvoorbeeld", "tool")


@lru_cache(maxsize=1)
def howto_words() -> frozenset[str]:
    return frozenset(fold(w.lower()) for w in read_lines("howto-nl.txt"))


def asks_how(parsed: ParsedQuery) -> bool:
    """Whether the query asks how to do something."""
    words = howto_words()
    return any(fold(w.lower()) in words for w in parsed.words)


def with_intent(v, parsed: ParsedQuery, score: np.ndarray) -> np.ndarray:
    """`score` with the practical pages raised when the query asks how."""
    if HOWTO_LEAN <= 0 or not asks_how(parsed):
        return score
    types = v.bits.facets["type"]
    practical = v.bits.to_mask(reduce(or_, (types.get(t, 0) for t in PRACTICAL_TYPES), 0))
    return np.where(practical, score * (1 + HOWTO_LEAN), score)


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
