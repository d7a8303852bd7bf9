"""Composed passage vectors for a generated corpus, put in the data dir's embedding cache.

The sentence model embeds about 2 passages a second on this machine: a 100k-document
corpus would take days. The generated documents (`bench.generate`) recombine sentences
of the sample corpus, so their vectors are COMPOSED from the sample's instead, like
`bench.dense` does: each generated document gets a template (a sample document of the
shipped cache, `corpus/embeddings/sample-e5.npz`, chosen from its content hash), and its
passage j gets the normalised mix of the template's passage j (a random sample passage
where the template has fewer), half of another random sample passage and a little
noise. They go into `embeddings.sqlite` under the document's content hash, the passage
scheme and the model id, exactly where the product's build looks: `update_index` then
takes every document's vectors from the cache and embeds nothing.

Good for speed and memory figures only (the dense stage scans real-sized float16
arrays with realistic cosines); never measure relevance on them. Deterministic: a
document's vectors depend only on its content hash.

    python -m bench.compose --data-dir /tmp/kb-bench/10000
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

from crawler.store import CrawlStore
from indexer import passages
from indexer.embedcache import CACHE_FILE, EmbeddingCache, ShippedCache
from indexer.embedder import DIM, get_embedder
from indexer.embedding_step import SHIPPED_CACHE

log = logging.getLogger(__name__)

MIX = 0.5  # weight of the random sample passage mixed into each template passage
NOISE = 0.1  # length of the Gaussian noise added to each (unit) passage vector
BATCH = 2_000  # documents per cache transaction
STAMP = "bench-composed.txt"  # marks a data dir whose cache holds composed vectors


class Composer:
    """Composes a document's passage vectors from the shipped sample vectors."""

    def __init__(self, vectors: np.ndarray, per_doc: np.ndarray) -> None:
        if not len(per_doc):
            raise ValueError("no sample vectors to compose from")
        self.pool = vectors.astype(np.float32)
        self.per_doc = per_doc
        self.starts = np.concatenate([[0], np.cumsum(per_doc)[:-1]])

    def vectors(self, content_hash: str, n: int) -> np.ndarray:
        """(n, 384) float16 unit vectors for the document with this hash."""
        rng = np.random.default_rng(int(content_hash[:16], 16))
        t = int(rng.integers(len(self.per_doc)))
        own_n = min(n, int(self.per_doc[t]))
        rows = np.concatenate(
            [
                self.starts[t] + np.arange(own_n),
                rng.integers(0, len(self.pool), n - own_n),
            ]
        ).astype(np.int64)
        own = self.pool[rows]
        other = self.pool[rng.integers(0, len(self.pool), n)]
        noise = rng.standard_normal((n, DIM)).astype(np.float32) * (NOISE / np.sqrt(DIM))
        mix = own + MIX * other + noise
        mix /= np.linalg.norm(mix, axis=1, keepdims=True)
        return mix.astype(np.float16)


def compose_cache(data_dir: Path, *, model_id: str | None = None) -> tuple[int, int, float]:
    """Fill `data_dir`'s embedding cache for every document of its crawl store that is
    not cached yet. Returns (documents composed, already cached, seconds)."""
    started = time.monotonic()
    if model_id is None:
        embedder = get_embedder()
        if embedder is None:
            raise RuntimeError("the sentence model is unavailable: no model id to key by")
        model_id = embedder.model_id
    shipped = ShippedCache(SHIPPED_CACHE, passages.SCHEME, model_id)
    composer = Composer(*shipped.arrays())
    composed = cached = 0
    data_dir = Path(data_dir)
    with (
        CrawlStore(data_dir / "crawl.sqlite") as store,
        EmbeddingCache(data_dir / CACHE_FILE, passages.SCHEME, model_id) as cache,
    ):
        batch = []

        def flush() -> None:
            nonlocal composed, cached
            have = cache.get_many(h for h, _ in batch)
            new = [(h, composer.vectors(h, n)) for h, n in batch if h not in have]
            cache.put_many(new)
            composed += len(new)
            cached += len(batch) - len(new)
            batch.clear()

        for doc in store.documents():
            batch.append((doc.content_hash, len(passages.split_spans(doc))))
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    (data_dir / STAMP).write_text(
        f"embeddings.sqlite holds vectors COMPOSED by bench.compose ({model_id}), "
        "not embedded: speed and memory only, never relevance.\n",
        encoding="utf-8",
    )
    return composed, cached, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compose", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data-dir", required=True, type=Path, help="holds crawl.sqlite")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        composed, cached, seconds = compose_cache(args.data_dir)
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"cannot compose vectors: {exc}", file=sys.stderr)
        return 1
    print(f"composed vectors for {composed} documents ({cached} already cached) in {seconds:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
