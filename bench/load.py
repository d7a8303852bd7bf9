"""Load with an index swap in the middle: `kennisbank serve` (waitress, 127.0.0.1) driven
for 60 s at concurrency 16 by a bounded Python client, while `kennisbank index --rebuild`
builds and swaps in a new index halfway. Prints errors, p50/p95/p99 and req/s (overall
and during the rebuild) and writes the `load` section of BENCHMARKS.md.

    python -m bench.load                       # the sample corpus, 60 s, concurrency 16
    python -m bench.load --data-dir D --seconds 30 --concurrency 8 --workers 2

The client is bounded in count (--max-requests) and time (--seconds); every request has
a 10 s timeout. Any exception, timeout or non-200 answer counts as an error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.report import md_table, update_section
from bench.served import Server

QUERIES = [
    "jeugdraad",
    "jeugdraden",
    "speelpleinen",
    "kinderen in de stad",
    '"lokaal jeugdbeleid"',
    "participatie jongeren",
    "kindvriendelijke gemeente",
    "jeugdwerk -subsidie",
    "speelruimte OR speelweefsel",
    "xyzzy",
]


def _paths(base_ids: list[str]) -> list[str]:
    out = []
    for q in QUERIES:
        out.append("/api/v1/search?" + urlencode({"q": q}))
        out.append("/?" + urlencode({"q": q}))
        out.append("/api/v1/search?" + urlencode({"q": q, "sort": "date", "page": 2}))
    out += ["/api/v1/facets?q=jeugd", "/bronnen", "/feed.atom?q=jeugd"]
    out += [f"/doc/{i}" for i in base_ids[:10]]
    return out


def _pct(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_load(
    port: int, paths: list[str], concurrency: int, seconds: float, max_requests: int
) -> list[tuple[float, float, bool, str]]:
    """(start offset s, latency ms, ok, failure) per request, from `concurrency` threads
    with one keep-alive connection each."""
    results: list[tuple[float, float, bool, str]] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    deadline = t0 + seconds
    counter = iter(range(max_requests))

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in counter:
            now = time.monotonic()
            if now > deadline:
                break
            path = paths[rng.randrange(len(paths))]
            failure = ""
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    failure = f"HTTP {resp.status} {path}"
            except (OSError, http.client.HTTPException) as exc:
                failure = f"{type(exc).__name__} {path}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            ms = (time.monotonic() - now) * 1000
            with lock:
                results.append((now - t0, ms, not failure, failure))
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _current_version(data_dir: Path) -> str:
    name = (data_dir / "index" / "CURRENT").read_text(encoding="utf-8").strip()
    return json.loads((data_dir / "index" / name / "build.json").read_text())["version"]


def _row(label: str, rows: list[tuple[float, float, bool, str]], seconds: float) -> list:
    lat = [r[1] for r in rows]
    errors = sum(1 for r in rows if not r[2])
    return [
        label,
        len(rows),
        errors,
        f"{_pct(lat, 50):.1f}",
        f"{_pct(lat, 95):.1f}",
        f"{_pct(lat, 99):.1f}",
        f"{max(lat, default=float('nan')):.0f}",
        f"{len(rows) / seconds:.0f}" if seconds > 0 else "-",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="default: a fresh sample-corpus build")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=500_000)
    parser.add_argument("--no-report", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            from search_app.bootstrap import build_sample

            data_dir = Path(tmp) / "data"
            print("building the sample corpus index ...", flush=True)
            build_sample(data_dir, progress=False)
        with Server(data_dir, args.workers, args.threads) as server:
            ids = json.loads(server.get("/api/v1/search?q=jeugd&per_page=50")[1])["results"]
            paths = _paths([r["id"] for r in ids])
            for path in paths:  # warm every worker's searcher and caches
                server.get(path)
            before = _current_version(data_dir)
            swap: dict[str, float] = {}

            def rebuild() -> None:
                time.sleep(args.seconds / 2)
                swap["start"] = time.monotonic() - t0
                proc = subprocess.run(
                    [sys.executable, "-m", "search_app.cli", "index", "--rebuild", "--quiet"]
                    + ["--data-dir", str(data_dir)],
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                swap["end"] = time.monotonic() - t0
                swap["rc"] = proc.returncode
                if proc.returncode:
                    print(proc.stderr, file=sys.stderr)

            t0 = time.monotonic()
            builder = threading.Thread(target=rebuild)
            builder.start()
            results = run_load(
                server.port, paths, args.concurrency, args.seconds, args.max_requests
            )
            elapsed = time.monotonic() - t0
            builder.join()
            after = _current_version(data_dir)

    start, end = swap.get("start", 0.0), swap.get("end", 0.0)
    during = [r for r in results if start <= r[0] <= end + 1.0]
    rows = [
        _row("whole run", results, elapsed),
        _row("during rebuild + swap", during, end + 1.0 - start),
    ]
    headers = ["window", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s"]
    failures = sorted({r[3] for r in results if not r[2]})
    body = (
        f"`python -m bench.load` — `kennisbank serve` (waitress, {args.workers} process(es) × "
        f"{args.threads} threads, 127.0.0.1), {args.concurrency} concurrent keep-alive "
        f"clients for {args.seconds:.0f} s over {len(paths)} URLs (API search, HTML search, "
        f"facets, document pages, sources page, feed), sample corpus unless `--data-dir`. "
        f"`kennisbank index --rebuild` ran from {start:.1f} s to {end:.1f} s "
        f"(exit code {swap.get('rc')}), swapping index {before} for {after}.\n\n"
        + md_table(headers, rows)
        + "\n\nErrors are exceptions, timeouts (10 s) and non-200 answers"
        + (f"; seen: {', '.join(failures[:5])}" if failures else ": none")
        + ".\n"
    )
    print(body)
    if failures:  # what the server logged about them
        print(server.output[-4000:], file=sys.stderr)
    if not args.no_report:
        update_section("load", "Load with an index swap (60 s, concurrency 16)", body)
    ok = not failures and swap.get("rc") == 0 and after != before
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
