"""Pseudo-relevance feedback: the best hits of a query suggest the words it left out.

A youth officer types two or three words; the pages that answer the need use more
(a page on "jongeren en de gemeenteraadsverkiezingen" also says stembus, memorandum,
kandidaten). The first ranking's top FEEDBACK_DOCS pages are taken as relevant, their
most telling terms (`indexer/vectors_write.py` keeps the FORWARD_TERMS best of each page) are
weighed with Bo1 (Amati's divergence from randomness: frequent in those pages, rare in
the collection), and the EXPANSION_TERMS best, other than the query's own, are scored
like query words at FEEDBACK_WEIGHT of their weight. They only re-order the pages the
query already matches: the hit count and the facet counts stay those of the words typed.

Then whole pages: a page that reads like the SIMILAR_DOCS best hits (Rocchio's centroid
of their forward lists, terms weighted by idf, each page's list damped and scaled to
length 1) is about the same need even where it uses the typed words only once. Its
cosine with that centroid, times SIMILAR_WEIGHT times the best score, is added to the
SIMILAR_DEPTH best matches. Pages without the words stay out, as above.

What each step gains on the judged queries, how the constants were chosen and what that
costs: docs/search.md (steps 5 and 6) and BENCHMARKS.md (`python -m bench relevance`,
`python -m bench similar`).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from whoosh import query as wq

from .ranking import Ranker, Scored, top
from .vectors_read import forward_weight

FEEDBACK_DOCS = 5
EXPANSION_TERMS = 10
FEEDBACK_WEIGHT = 0.2
SIMILAR_DOCS = 3
SIMILAR_WEIGHT = 0.8
SIMILAR_DEPTH = 200
FIELD = "body"


def expansion_terms(
    ranker: Ranker, docnums: list[int], exclude: set[bytes]
) -> list[tuple[str, float]]:
    """The best expansion terms of the feedback pages, with Bo1 weights, best first."""
    in_feedback: dict[bytes, float] = {}
    for docnum in docnums:
        for term, weight in ranker.v.forward(FIELD, docnum):
            if term not in exclude:
                in_feedback[term] = in_feedback.get(term, 0.0) + weight
    n = max(ranker.v.doc_count, 1)
    scored = []
    for term, tf in in_feedback.items():
        post = ranker.v.postings(FIELD, term)
        if post is None:
            continue
        p = post.total_weight / n
        scored.append((tf * math.log2((1 + p) / p) + math.log2(1 + p), term))
    scored.sort(key=lambda wt: (-wt[0], wt[1]))
    return [(t.decode("utf-8"), w) for w, t in scored[:EXPANSION_TERMS]]


def with_feedback(ranker: Ranker, q: wq.Query, scored: Scored, tie: np.ndarray) -> Scored:
    """`scored` with the expansion terms' scores added to the pages it matches."""
    feedback = top(scored.match, scored.score, tie, FEEDBACK_DOCS)
    if not len(feedback):
        return scored
    exclude = {
        text.encode("utf-8") if isinstance(text, str) else text
        for _, text in q.iter_all_terms(phrases=True)
    }
    terms = expansion_terms(ranker, feedback.tolist(), exclude)
    if not terms:
        return scored
    best = terms[0][1]
    extra = ranker.evaluate(wq.Or([wq.Term(FIELD, t, boost=w / best) for t, w in terms]))
    both = scored.match & extra.match
    scored.score[both] += FEEDBACK_WEIGHT * extra.score[both]
    return with_similar_pages(ranker, scored, tie)


def centroid(ranker: Ranker, docnums: list[int], weights: list[float]) -> dict[bytes, float]:
    """Rocchio's centroid of the pages' forward lists: each list damped and scaled to
    length 1, summed with the page's weight, then each term times its idf."""
    summed: dict[bytes, float] = defaultdict(float)
    for docnum, page_weight in zip(docnums, weights, strict=True):
        forward = ranker.v.forward(FIELD, docnum)
        if not forward:
            continue
        damped = forward_weight([w for _, w in forward])
        length = float(np.sqrt((damped * damped).sum())) or 1.0
        for (term, _), w in zip(forward, damped.tolist(), strict=True):
            summed[term] += page_weight * w / length
    n = ranker.v.doc_count
    return {
        term: w * (math.log((n + 1) / (ranker.v.doc_frequency(FIELD, term) + 1)) + 1)
        for term, w in summed.items()
    }


def with_similar_pages(ranker: Ranker, scored: Scored, tie: np.ndarray) -> Scored:
    """`scored` with the SIMILAR_DEPTH best matches raised by their likeness to the
    SIMILAR_DOCS best ones."""
    candidates = top(scored.match, scored.score, tie, SIMILAR_DEPTH)
    best = candidates[:SIMILAR_DOCS]
    if not len(best) or scored.score[best[0]] <= 0:
        return scored
    first = float(scored.score[best[0]])
    center = centroid(ranker, best.tolist(), (scored.score[best] / first).tolist())
    if not center:
        return scored
    likeness = ranker.v.similarity(FIELD, candidates, center)
    scored.score[candidates] += SIMILAR_WEIGHT * first * likeness
    return scored
