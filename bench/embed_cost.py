"""What embedding costs: the real sentence model on real sample documents.

The documents of the bundled sample corpus (crawled from the loopback mirror, or an
already crawled data dir), in a seeded random order, are split into passages exactly
as an index build does (`indexer/passages.py`, at most `MAX_PASSAGES` a page) and
embedded by the model in the batches a build uses, until `--docs` documents are done or
`--budget` seconds have passed. Printed: tokens/s, passages/s and documents/s, and the
time a first embedding of 5k, 10k and 100k pages would take at that rate (per measured
document, and at a full `MAX_PASSAGES` passages a page). Written into BENCHMARKS.md.

    python -m bench.embed_cost --docs 1000 --budget 480

The sample has 242 pages. `--generated 1000` measures a 1,000-document generated corpus
instead (`bench/generate.py`: sample sentences recombined into pages of the sample's
lengths, types and sources): the same text the model meets, at the size asked for.

    python -m bench.embed_cost --generated 1000 --budget 1500
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
from pathlib import Path

from crawler.store import CrawlStore
from indexer import passages
from indexer.embedder import get_embedder
from indexer.embedding_step import BATCH_PASSAGES

from . import report

DEFAULT_WORK = Path("/tmp/kb-bench")
SIZES = (5_000, 10_000, 100_000)


def sample_documents(data_dir: Path | None, work: Path) -> list:
    """The sample corpus's documents: from `data_dir`, else crawled into `work`."""
    if data_dir is None:
        data_dir = work / "sample"
        if not (data_dir / "crawl.sqlite").exists():
            from search_app.bootstrap import crawl_sample

            crawl_sample(data_dir, progress=False)
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        return sorted(store.documents(), key=lambda d: d.url)


def measure(docs: list, embedder, budget: float) -> dict:
    """Embed `docs` (batches of whole documents, about BATCH_PASSAGES passages), stopping
    after `budget` seconds of embedding; figures of what was done."""
    done = n_passages = tokens = 0
    seconds = 0.0
    batch: list[list[str]] = []

    def run(batch: list[list[str]]) -> None:
        nonlocal done, n_passages, tokens, seconds
        texts = [t for doc in batch for t in doc]
        started = time.monotonic()
        embedder.passages(texts)
        seconds += time.monotonic() - started
        tokens += sum(embedder.token_count(t) for t in texts)
        n_passages += len(texts)
        done += len(batch)

    for doc in docs:
        batch.append(passages.split_passages(doc))
        if sum(len(b) for b in batch) >= BATCH_PASSAGES:
            run(batch)
            batch = []
            if seconds >= budget:
                break
    else:
        if batch:
            run(batch)
    return {"documents": done, "passages": n_passages, "tokens": tokens, "seconds": seconds}


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def generated_documents(n: int, work: Path) -> list:
    """The first `n` documents of the generated benchmark corpus, made in `work`."""
    from bench.generate import generate

    data_dir = work / f"generated-{n}"
    store_path = data_dir / "crawl.sqlite"
    docs: list = []
    if store_path.exists():
        with CrawlStore(store_path) as store:
            docs = list(store.documents())
    if len(docs) != n:  # none yet, or left half-written by a killed run
        generate(data_dir, n)
        with CrawlStore(store_path) as store:
            docs = list(store.documents())
    return sorted(docs, key=lambda d: d.url)


def render(r: dict, available: int, threads: str, what: str) -> str:
    s = r["seconds"]
    per_doc = r["passages"] / r["documents"]
    pps = r["passages"] / s
    lines = [
        f"The real model (`{r['model_id']}`) on {r['documents']} {what} "
        f"(of {available}; seeded random order; as many as fit in the time budget), "
        f"split as a build splits them (at most {passages.MAX_PASSAGES} passages a page; "
        f"{per_doc:.2f} on average here), batches of {BATCH_PASSAGES} passages, "
        f"OMP_NUM_THREADS={threads}, on this shared 2-core machine.\n",
        report.md_table(
            ["documents", "passages", "tokens", "seconds", "tokens/s", "passages/s", "documents/s"],
            [
                [
                    r["documents"],
                    r["passages"],
                    f"{r['tokens']:,}",
                    f"{s:.0f}",
                    f"{r['tokens'] / s:,.0f}",
                    f"{pps:.2f}",
                    f"{r['documents'] / s:.2f}",
                ]
            ],
        ),
        "\nExtrapolated: a first embedding of N pages (an update embeds only new and "
        "changed pages; the sample's shipped cache makes its first build free).\n",
        report.md_table(
            [
                "pages",
                f"at {per_doc:.2f} passages a page (as measured)",
                f"at {passages.MAX_PASSAGES} passages a page (long pages, the cap)",
            ],
            [
                [
                    f"{n:,}",
                    _duration(n * per_doc / pps),
                    _duration(n * passages.MAX_PASSAGES / pps),
                ]
                for n in SIZES
            ],
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.embed_cost", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--docs", type=int, default=1000, help="documents at most")
    parser.add_argument("--budget", type=float, default=480, help="seconds of embedding at most")
    parser.add_argument("--data-dir", type=Path, help="a crawled sample (default: crawl it)")
    parser.add_argument(
        "--generated", type=int, metavar="N", help="measure a generated corpus of N documents"
    )
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--no-report", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    embedder = get_embedder()
    if embedder is None:
        print("the sentence model is unavailable: nothing to measure", file=sys.stderr)
        return 1
    if args.generated:
        docs = generated_documents(args.generated, args.work_dir)
        what = (
            "generated documents (sample sentences recombined into pages of the sample's "
            "lengths and types, `bench/generate.py`)"
        )
    else:
        docs = sample_documents(args.data_dir, args.work_dir)
        what = "real documents of the sample corpus"
    if not docs:
        print("no sample documents", file=sys.stderr)
        return 1
    random.Random(args.seed).shuffle(docs)
    embedder.passages(["Een korte zin om het model op te warmen."])
    r = measure(docs[: args.docs], embedder, args.budget)
    r["model_id"] = embedder.model_id
    body = render(r, len(docs), os.environ.get("OMP_NUM_THREADS", "unset"), what)
    print(body)
    if not args.no_report:
        report.update_section("embedding", "Embedding cost: the real model on Dutch pages", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
