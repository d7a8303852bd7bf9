"""Server time of the HTML search page (all five facets, chips, near-duplicate
collapsing, template rendering) on a generated 10,000-document index, with and without
the dense stage, side by side.

Measured in process through the Flask test client: the time from request to rendered
page, without the HTTP hop (about 1 ms more, see `python -m bench search`). Three ways,
interleaved request by request over one index: lexical-only (the app's engine with
`semantic=False`); hybrid, every request embedding its query (the embedder's query
cache emptied first, as for a new query); hybrid with the query's vector cached (a
repeated query). Each in a child process as the product starts (the model's threads
sleep between queries) and in one where they spin (OMP_WAIT_POLICY=ACTIVE). Target:
p95 ≤ 40 ms with and without the dense stage.

    python -m bench.ui --data-dir /tmp/kb-bench/ui-10000 -n 10000

The corpus, its passage vectors (COMPOSED from the sample's by `bench.compose`, not
embedded: speed only) and the index are made on the first run and reused on later runs
with the same --data-dir.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import itertools
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from indexer.build import current_build, update_index
from indexer.embedder import get_embedder
from search_app import create_app

from . import compose
from .generate import generate

QUERIES = [
    "",
    "jeugdraad",
    "participatie van jongeren",
    "speelruimte",
    "kinderrechten",
    "jeugdwerk",
    "fuifbeleid",
    "buitenschoolse opvang",
    "schepen van jeugd",
    "kindvriendelijke gemeente",
]
# Extra state on top of a query: no filter, one filter in a facet (its counts are then
# computed with the selection lifted: one more search), two facets, a range, a sort.
VARIANTS = [
    [],
    [("type", "methodiek")],
    [("type", "methodiek"), ("type", "praktijkvoorbeeld"), ("site", "vvsg.be")],
    [("theme", "participatie"), ("year_from", "2018"), ("year_to", "2024")],
    [("sort", "date"), ("page", "2")],
]


# The processes measured, by how the sentence model's OpenMP threads wait between
# queries: spinning (ACTIVE, what libgomp's default comes close to under load) and as
# the product starts (indexer/embedder.py sets PASSIVE unless the operator chose).
ENVIRONMENTS = {
    "process with spinning model threads (OMP_WAIT_POLICY=ACTIVE)": {"OMP_WAIT_POLICY": "ACTIVE"},
    "process as the product starts (OMP_WAIT_POLICY=PASSIVE)": {"OMP_WAIT_POLICY": None},
}


def _urls() -> list[str]:
    out = []
    for q, extra in itertools.product(QUERIES, VARIANTS):
        args = ([("q", q)] if q else []) + extra
        out.append("/?" + urlencode(args) if args else "/")
    return out


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (0-100) of the samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _prepare(data_dir: Path, n: int) -> None:
    """Generate the corpus, compose its vectors and build, where not done yet."""
    started = time.monotonic()
    if not (data_dir / "crawl.sqlite").exists():
        generate(data_dir, n)
    if get_embedder() is not None and not (data_dir / compose.STAMP).exists():
        compose.compose_cache(data_dir)
        info = update_index(data_dir, rebuild=True, progress=False)
    elif current_build(data_dir) is None:
        info = update_index(data_dir, rebuild=True, progress=False)
    else:
        return
    print(f"built {info.documents} documents in {time.monotonic() - started:.0f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ui", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/kb-bench/ui-10000"))
    parser.add_argument("-n", type=int, default=10_000, help="documents (first run only)")
    parser.add_argument("--rounds", type=int, default=6, help="passes over the 50 URLs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        return _measure(args)
    _prepare(args.data_dir, args.n)
    # One child process per OpenMP setting: libgomp reads it once, when the model loads.
    for name, extra in ENVIRONMENTS.items():
        env = {k: v for k, v in (os.environ | extra).items() if v is not None}
        cmd = [sys.executable, "-m", "bench.ui", "--child", "--data-dir", str(args.data_dir)]
        cmd += ["--rounds", str(args.rounds)]
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=3600, check=False
        )
        if proc.returncode:
            print(proc.stderr[-2000:], file=sys.stderr)
            return proc.returncode
        print(f"\n{name}:\n{proc.stdout.rstrip()}")
    return 0


def _measure(args: argparse.Namespace) -> int:
    hybrid_app = create_app({"DATA_DIR": str(args.data_dir)})
    engine = hybrid_app.extensions["kennisbank.index"]
    lexical_app = create_app({"DATA_DIR": str(args.data_dir)})
    # The same engine object (one searcher, one set of caches), dense stage off.
    lexical = copy.copy(engine)
    lexical._semantic = False
    lexical_app.extensions["kennisbank.index"] = lexical
    embedder = get_embedder() if engine.semantic() else None

    @contextlib.contextmanager
    def new_query():
        """The query cache emptied for one request, then put back (so the cached way
        still finds every query)."""
        kept = embedder._queries.copy()
        embedder._queries.clear()
        try:
            yield
        finally:
            embedder._queries.clear()
            embedder._queries.update(kept)

    ways = {"lexical-only": (lexical_app.test_client(), contextlib.nullcontext)}
    if embedder is not None:
        ways["hybrid, query embedded"] = (hybrid_app.test_client(), new_query)
        ways["hybrid, query cached"] = (hybrid_app.test_client(), contextlib.nullcontext)
    names = list(ways)
    urls = _urls()
    for client, _ in ways.values():  # warm up: searcher opened, columns and templates loaded
        for url in urls:
            assert client.get(url).status_code == 200, url
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        for j, url in enumerate(urls):
            k = (r * len(urls) + j) % len(names)
            for name in names[k:] + names[:k]:  # the order rotates
                client, around = ways[name]
                with around():
                    started = time.perf_counter()
                    response = client.get(url)
                    samples[name].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, url
    docs = ways["lexical-only"][0].get("/api/v1/search?per_page=1").json["total"]
    print(
        f"search page, {docs} documents, {len(urls)} URLs × {args.rounds} rounds, "
        f"interleaved; passage vectors COMPOSED (bench.compose), not embedded"
    )
    if embedder is None:
        print("(no passage vectors or no sentence model: lexical-only)")
    for name in names:
        got = samples[name]
        p95 = percentile(got, 95)
        print(
            f"{name:>24}: p50 {statistics.median(got):5.1f} ms, p95 {p95:5.1f} ms, "
            f"max {max(got):5.1f} ms  (p95 ≤ 40 ms: {'yes' if p95 <= 40 else 'NO'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
