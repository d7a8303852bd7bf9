"""Export benchmark: peak memory of a streamed export as the number of hits grows, and
the time to write 10,000 hits to CSV.

Builds (once) a scaled index with `bench.generate` in --data-dir, then exports the
first N hits of a search for each N to a null sink through the same `Export` code
path as `/export` and `kennisbank export`. Memory is the peak of Python allocations
during the export (tracemalloc, measured in a separate run from the timing), with the
searcher already open and warm, so it is what the export itself adds.

    python -m bench.export --data-dir /tmp/kb-bench/10000 -n 10000
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import time
import tracemalloc
from pathlib import Path

from bench.generate import generate
from indexer.build import current_build, update_index
from indexer.engine import SearchIndex, SearchRequest
from search_app.export import Export

log = logging.getLogger(__name__)


class _Null(io.TextIOBase):
    """A text sink that only counts characters."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def ensure_index(data_dir: Path, n: int) -> None:
    if current_build(data_dir) is not None:
        return
    started = time.monotonic()
    generate(data_dir, n)
    update_index(data_dir, rebuild=True, progress=False)
    print(f"built a {n}-document index in {time.monotonic() - started:.0f}s", flush=True)


def run_export(index: SearchIndex, query: str, fmt: str, cap: int) -> tuple[int, int]:
    sink = _Null()
    job = Export(index, SearchRequest(query=query), fmt, cap=cap)
    for chunk in job.chunks():
        sink.write(chunk)
    return job.exported, sink.chars


def measure(index: SearchIndex, query: str, fmt: str, cap: int) -> dict:
    started = time.perf_counter()
    hits, chars = run_export(index, query, fmt, cap)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    run_export(index, query, fmt, cap)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"hits": hits, "seconds": seconds, "peak_mb": peak / 1e6, "mb_out": chars / 1e6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.export",
        description="Peak memory and time of streamed exports as the hit count grows.",
    )
    parser.add_argument("--data-dir", required=True, type=Path, help="bench data dir")
    parser.add_argument("-n", type=int, default=10_000, help="corpus size to generate")
    parser.add_argument("--sizes", default="1000,2500,5000,10000", help="hit counts to export")
    parser.add_argument("--format", default="csv", help="export format (default csv)")
    parser.add_argument(
        "--queries",
        default=",jeugd",
        help="comma-separated queries; empty = every document by date (no highlighting)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    ensure_index(args.data_dir, args.n)
    index = SearchIndex(args.data_dir)
    info = index.info()
    print(f"index {info.version}: {info.documents} documents; format {args.format}")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"{'query':10} {'hits':>7} {'seconds':>8} {'hits/s':>8} {'peak MB':>8} {'out MB':>7}")
    for query in args.queries.split(","):
        run_export(index, query, args.format, 50)  # warm: searcher caches, analyzer lists
        for size in sizes:
            row = measure(index, query, args.format, size)
            rate = row["hits"] / row["seconds"] if row["seconds"] else 0.0
            print(
                f"{query or '(alles)':10} {row['hits']:7} {row['seconds']:8.2f} {rate:8.0f} "
                f"{row['peak_mb']:8.2f} {row['mb_out']:7.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
