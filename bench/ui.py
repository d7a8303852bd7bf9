"""Server time of the HTML search page (all five facets, chips, near-duplicate
collapsing, template rendering) on a generated 10,000-document index.

Measured in process through the Flask test client: the time from request to rendered
page, without the HTTP hop (about 1 ms more, see `python -m bench search`). The target
is p95 under 100 ms.

    python -m bench.ui --data-dir /tmp/kb-bench/ui-10000 -n 10000

The corpus and index are made on the first run (bench.generate, then a rebuild) and
reused on later runs with the same --data-dir.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from indexer.build import current_build, update_index
from search_app import create_app

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ui", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/kb-bench/ui-10000"))
    parser.add_argument("-n", type=int, default=10_000, help="documents (first run only)")
    parser.add_argument("--rounds", type=int, default=6, help="passes over the 50 URLs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    if current_build(args.data_dir) is None:
        started = time.monotonic()
        generate(args.data_dir, args.n)
        info = update_index(args.data_dir, rebuild=True, progress=False)
        print(f"built {info.documents} documents in {time.monotonic() - started:.0f}s")
    client = create_app({"DATA_DIR": str(args.data_dir)}).test_client()
    urls = _urls()
    for url in urls:  # warm up: searcher opened, columns and templates loaded
        assert client.get(url).status_code == 200, url
    samples: list[float] = []
    for _ in range(args.rounds):
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
    docs = client.get("/api/v1/search?per_page=1").json["total"]
    print(
        f"search page, {docs} documents, {len(samples)} requests over {len(urls)} URLs: "
        f"p50 {statistics.median(samples):.1f} ms, p95 {percentile(samples, 95):.1f} ms, "
        f"max {max(samples):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
