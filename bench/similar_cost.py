"""What the pages-like-the-best-hits step (indexer/feedback.py) costs per search.

In one process, on one index, every judged query is searched with the step and without
it, alternately (the order flips each round, so drift in the machine hits both alike),
with facets, as the search page asks. Prints p50, p95 and mean of each and their ratio.

    python -m bench similar --data-dir /tmp/kb-bench/10000 --rounds 6   # records the section
    python -m bench.similar_cost --data-dir /tmp/kb-bench/100000 --rounds 2
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

from bench.generate import generate
from bench.relevance import load_judgments
from bench.ui import percentile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.similar_cost", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/kb-bench/10000"))
    parser.add_argument("-n", type=int, default=10_000, help="documents (first run only)")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from indexer import feedback
    from indexer.build import current_build, update_index
    from indexer.engine import SearchIndex, SearchRequest

    if current_build(args.data_dir) is None:
        generate(args.data_dir, args.n)
        update_index(args.data_dir, rebuild=True, progress=False)

    index = SearchIndex(args.data_dir)
    queries = [q.text for q in load_judgments()]
    with_step = feedback.with_similar_pages
    variants = {"with": with_step, "without": lambda ranker, scored, tie: scored}
    for q in queries:  # warm: files mapped, caches filled
        index.search(SearchRequest(query=q))
    times: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for round_ in range(args.rounds):
            names = list(variants) if round_ % 2 else list(reversed(variants))
            for q in queries:
                for name in names:
                    feedback.with_similar_pages = variants[name]
                    started = time.perf_counter()
                    index.search(SearchRequest(query=q))
                    times[name].append((time.perf_counter() - started) * 1000)
    finally:
        feedback.with_similar_pages = with_step
    print(f"{args.data_dir}: {len(queries)} queries x {args.rounds} rounds, facets on")
    for name, values in times.items():
        print(
            f"  {name:8} the step: p50 {percentile(values, 50):6.1f} ms  "
            f"p95 {percentile(values, 95):6.1f} ms  mean {statistics.mean(values):6.1f} ms"
        )
    ratio = statistics.mean(times["with"]) / statistics.mean(times["without"])
    print(f"  mean with / without: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
