"""Multi-process serving side by side: `kennisbank serve --workers N` from this checkout
(gunicorn's pre-fork arbiter) against the same command from a baseline checkout (the
hand-written waitress supervisor it replaced), on one index, in alternating rounds,
under the same bounded load. Prints req/s and latency per server and concurrency.

    python -m bench.serving --baseline /path/to/other/checkout            # sample corpus
    python -m bench.serving --baseline DIR --data-dir D --rounds 3 --duration 10

The load client is wrk when installed (apt-get install wrk), else the bounded Python
client of bench.search; the requests are bench.search's API queries (scenario a).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.search import Server, load_python, load_wrk, paths, workload


def _cell(runs: list[dict]) -> dict:
    return {
        key: statistics.median(r[key] for r in runs)
        for key in ("rps", "p50", "p95", "errors", "memory_mb")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serving", description=__doc__)
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--data-dir", type=Path, help="an indexed data dir (default: sample)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per cell")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    load = load_wrk if shutil.which("wrk") else load_python
    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        from search_app.bootstrap import build_sample

        tmp = tempfile.TemporaryDirectory()
        data_dir = Path(tmp.name) / "data"
        print("  building the sample index …", file=sys.stderr, flush=True)
        build_sample(data_dir, progress=False)
    urls = paths("a", workload(data_dir, args.queries, 8), None)
    concurrencies = [int(c) for c in args.concurrency.split(",") if c]
    servers = {"gunicorn (this checkout)": None, "baseline": args.baseline}
    results: dict[tuple[str, int], list[dict]] = {}
    for round_no in range(args.rounds):
        for name, checkout in servers.items():
            with Server(data_dir, args.workers, args.threads, checkout=checkout) as server:
                server.warm(urls, args.workers)
                for c in concurrencies:
                    print(f"  round {round_no + 1} {name} c{c} …", file=sys.stderr, flush=True)
                    out = load(server.base, urls, c, args.duration)
                    out["memory_mb"] = server.memory_mb()
                    results.setdefault((name, c), []).append(out)
    print(
        f"{args.workers} workers x {args.threads} threads, {len(urls)} distinct API searches, "
        f"{args.rounds} alternating rounds of {args.duration:.0f} s per cell, client "
        f"{load.__name__.removeprefix('load_')}; medians over rounds\n"
    )
    print("| server | concurrency | req/s | p50 ms | p95 ms | errors | memory MB (PSS) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for (name, c), runs in results.items():
        m = _cell(runs)
        print(
            f"| {name} | {c} | {m['rps']:.0f} | {m['p50']:.1f} | {m['p95']:.1f} | "
            f"{m['errors']:.0f} | {m['memory_mb']:.0f} |"
        )
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
