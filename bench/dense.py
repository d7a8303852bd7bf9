"""The dense stage at query time, at 10k and 100k documents: speed, coarse recall, memory.

The vectors of the large corpora are COMPOSED, not embedded: the model would need more
than a day for 100k documents on this machine. Like `bench.generate`'s documents, each
generated document is modelled on one sample document (its template): it has the
template's number of passages, and passage j's vector is the normalised mix of the
template's passage j, half of a random sample passage and a little noise (vectors
from the shipped cache, `corpus/embeddings/sample-e5.npz`). Good enough for speed,
memory and the agreement of the two stages; never measure relevance on them.
The queries are real: the judged queries of `tests/relevance`, embedded by the model.

Per query, the dense stage is: `candidates(q, k)` (the coarse document matrix, PCA to
128 dimensions) → `best_passages(q, candidates)` (exact, float16 rows of those
documents only). Printed: p50/p95 of each step, the exact scan of every passage for
comparison, how many of the exact top 10 the two-stage search finds (on composed
vectors), `similar()`, and the memory a worker process adds by opening and using the
dense files (private = USS; the mapped files are shared between workers).

    python -m bench.dense                  # 10k and 100k documents, k = 200
    python -m bench.dense -n 10000 --k 100 --throughput 48 --data-dir DIR
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from indexer import dense_write, passages
from indexer.dense_read import DenseIndex
from indexer.dense_write import DenseWriter
from indexer.embedcache import ShippedCache
from indexer.embedder import DIM, get_embedder
from indexer.embedding_step import SHIPPED_CACHE

SEED = 14
MIX = 0.5  # weight of the random sample passage mixed into each template passage
ROUNDS = 3  # each query is asked this many times
NOISE = 0.1  # length of the Gaussian noise added to each (unit) passage vector


def _percentiles(samples: list[float]) -> tuple[float, float]:
    a = np.asarray(samples) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def _memory() -> tuple[float, float]:
    """(private anonymous memory, file pages mapped) of this process in MB, from
    /proc/self/smaps_rollup: the first is what each worker adds on its own, the
    second is the page cache of the mapped files, shared by all workers."""
    fields = {}
    with open("/proc/self/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return fields.get("Anonymous", 0.0), fields.get("Rss", 0.0) - fields.get("Anonymous", 0.0)


def compose(folder: Path, n_docs: int, vectors: np.ndarray, per_doc: np.ndarray) -> float:
    """Write the dense files of `n_docs` documents with composed vectors; seconds."""
    rng = np.random.default_rng(SEED)
    started = time.monotonic()
    starts = np.concatenate([[0], np.cumsum(per_doc)[:-1]])
    writer = DenseWriter(folder, scheme=passages.SCHEME, model_id="composed", max_passages=8)
    for d in range(n_docs):
        t = int(rng.integers(len(per_doc)))
        n = int(min(per_doc[t], passages.MAX_PASSAGES))
        own = vectors[starts[t] : starts[t] + n]
        other = vectors[rng.integers(0, len(vectors), n)]
        noise = rng.standard_normal((n, DIM)).astype(np.float32) * (NOISE / np.sqrt(DIM))
        mix = own + MIX * other + noise
        mix /= np.linalg.norm(mix, axis=1, keepdims=True)
        spans = [(0, 0)] + [(k * 1000, k * 1000 + 900) for k in range(1, n)]
        writer.add(f"g{d}", f"h{d}", mix, spans)
    writer.finish()
    return time.monotonic() - started


def measure(folder: Path, n_docs: int, queries: np.ndarray, k: int) -> dict:
    gc.collect()
    anon0, mapped0 = _memory()
    started = time.monotonic()
    index = DenseIndex(folder, {f"g{i}": i for i in range(n_docs)}, n_docs)
    opened = time.monotonic() - started
    t0 = time.perf_counter()
    index.best_passages(queries[0], index.candidates(queries[0], k))
    cold = time.perf_counter() - t0  # the first query maps the files' pages in
    cand_t, best_t, stage_t, exact_t, sim_t = [], [], [], [], []
    two_stage = []
    for q in np.concatenate([queries] * ROUNDS):
        t0 = time.perf_counter()
        cands = index.candidates(q, k)
        t1 = time.perf_counter()
        scores, _ = index.best_passages(q, cands)
        t2 = time.perf_counter()
        cand_t.append(t1 - t0)
        best_t.append(t2 - t1)
        stage_t.append(t2 - t0)
        two_stage.append(set(cands[np.argsort(-scores)[:10]]))
    for d in range(0, n_docs, max(1, n_docs // 20)):
        t0 = time.perf_counter()
        index.similar(d, 10)
        sim_t.append(time.perf_counter() - t0)
    gc.collect()
    anon1, mapped1 = _memory()
    found = 0
    for q, got in zip(queries, two_stage[: len(queries)], strict=True):
        t0 = time.perf_counter()
        exact, _ = index.best_passages(q)
        exact_t.append(time.perf_counter() - t0)
        found += len(got & set(np.argsort(-exact)[:10]))
    size = sum((folder / f).stat().st_size for f in dense_write.FILES if (folder / f).exists())
    return {
        "docs": n_docs,
        "passages": index.n_passages,
        "files_mb": size / 2**20,
        "open_s": opened,
        "cold_ms": cold * 1000,
        "candidates": _percentiles(cand_t),
        "best": _percentiles(best_t),
        "stage": _percentiles(stage_t),
        "exact": _percentiles(exact_t),
        "similar": _percentiles(sim_t),
        "recall10": found / (10 * len(queries)),
        "anon_mb": anon1 - anon0,
        "mapped_mb": mapped1 - mapped0,
    }


def _sample_passages(data_dir: Path | None, work: Path, n: int) -> list[str]:
    """The first `n` body passages of the sample (crawled into `work` if not given)."""
    from crawler.store import CrawlStore

    if data_dir is None:
        from search_app.bootstrap import crawl_sample

        data_dir = work / "sample"
        crawl_sample(data_dir, progress=False)
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        docs = sorted(store.documents(), key=lambda d: d.url)
    texts = [t for d in docs for t in passages.split_passages(d)[1:]]
    return texts[:n]


def throughput(texts: list[str], embedder) -> str:
    tokens = sum(embedder.token_count(t) for t in texts)
    started = time.monotonic()
    embedder.passages(texts)
    s = time.monotonic() - started
    return (
        f"embedding {len(texts)} sample passages ({tokens} tokens): {s:.1f} s = "
        f"{len(texts) / s:.2f} passages/s, {tokens / s:.0f} tokens/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dense", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("-n", type=int, action="append", help="documents (repeatable)")
    parser.add_argument("--k", type=int, default=200, help="coarse candidates per query")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--throughput", type=int, default=0, help="also embed N passages")
    parser.add_argument("--data-dir", type=Path, help="a crawled sample (for --throughput)")
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    embedder = get_embedder()
    if embedder is None:
        print("the sentence model is unavailable: nothing to measure", file=sys.stderr)
        return 1
    shipped = ShippedCache(SHIPPED_CACHE, passages.SCHEME, embedder.model_id)
    if not len(shipped):
        print(f"no shipped vectors for {embedder.model_id} in {SHIPPED_CACHE}", file=sys.stderr)
        return 1
    vectors, per_doc = shipped.arrays()
    pool = vectors.astype(np.float32)
    from bench.relevance import load_judgments

    texts = [q.text for q in load_judgments()][: args.queries]
    queries = np.stack([embedder.query(t) for t in texts])
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="kb-bench-dense-"))
    print(
        f"dense stage, vectors COMPOSED from {len(pool)} sample passage vectors (not embedded; "
        f"speed and memory only), {len(queries)} real queries, k = {args.k}"
    )
    print(
        "| docs | passages | files MB | compose s | open s | first query ms | "
        "candidates p50/p95 ms | "
        "best passages p50/p95 ms | dense stage p50/p95 ms | exact scan p50/p95 ms | "
        "top-10 found | similar p50/p95 ms | worker + private / + mapped (shared) MB |"
    )
    print("|" + " --- |" * 13)
    for n_docs in args.n or [10_000, 100_000]:
        folder = work / str(n_docs)
        folder.mkdir(parents=True, exist_ok=True)
        built = compose(folder, n_docs, pool, per_doc)
        r = measure(folder, n_docs, queries, args.k)
        print(
            f"| {r['docs']:,} | {r['passages']:,} | {r['files_mb']:.0f} | {built:.0f} | "
            f"{r['open_s']:.2f} | {r['cold_ms']:.0f} | "
            f"{r['candidates'][0]:.1f} / {r['candidates'][1]:.1f} | "
            f"{r['best'][0]:.1f} / {r['best'][1]:.1f} | {r['stage'][0]:.1f} / "
            f"{r['stage'][1]:.1f} | {r['exact'][0]:.0f} / {r['exact'][1]:.0f} | "
            f"{r['recall10']:.2f} | {r['similar'][0]:.1f} / {r['similar'][1]:.1f} | "
            f"{r['anon_mb']:.0f} / {r['mapped_mb']:.0f} |"
        )
    if args.throughput:
        print(throughput(_sample_passages(args.data_dir, work, args.throughput), embedder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
