"""Suggestions as you type: `/api/v1/suggest?q=` on a generated 10,000-document index.

Prints, in one run: the time to build the completer (once per index version, on the
first request), its number of entries, then p50/p95/max of the API answer (Flask test
client: request to JSON, without the HTTP hop) and of `SearchIndex.complete` alone, over
prefixes of 2 to 8 letters cut from the titles and frequent words of the corpus
(seeded), as a person types them letter by letter. The target is p95 <= 20 ms.

    python -m bench.suggest --data-dir /tmp/kb-bench/ui-10000 -n 10000

The corpus and index are made on the first run (bench.generate, then a rebuild) and
reused on later runs with the same --data-dir (bench.ui uses the same default).
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from indexer.build import current_build, update_index
from indexer.suggest import VOCABULARY_FILE, read_vocabulary
from search_app import create_app, search_index

from .generate import generate
from .ui import percentile

_WORD = re.compile(r"[^\W\d_]{4,}")


def prefixes(words: list[str], n: int, seed: int) -> list[str]:
    """`n` prefixes as typed: a word (or two) cut after 2..8 letters, seeded."""
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        text = rnd.choice(words)
        if rnd.random() < 0.3:
            text = f"{text} {rnd.choice(words)}"
        out.append(text[: rnd.randint(2, min(8 + text.find(" ") % 8, len(text)))])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.suggest", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/kb-bench/ui-10000"))
    parser.add_argument("-n", type=int, default=10_000, help="documents (first run only)")
    parser.add_argument("--requests", type=int, default=2000, help="prefixes measured")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    if current_build(args.data_dir) is None:
        started = time.monotonic()
        generate(args.data_dir, args.n)
        info = update_index(args.data_dir, rebuild=True, progress=False)
        print(f"built {info.documents} documents in {time.monotonic() - started:.0f}s")
    app = create_app({"DATA_DIR": str(args.data_dir)})
    client = app.test_client()
    index = search_index(app)
    vocabulary = read_vocabulary(current_build(args.data_dir) / VOCABULARY_FILE)
    words = [w for w, c in sorted(vocabulary.items(), key=lambda wc: -wc[1])[:3000]]
    typed = prefixes(words, args.requests, args.seed)

    index.info()  # opens the index version first: not part of the completer's cost
    started = time.perf_counter()
    index.complete("jeugd", 8)  # builds the completer of this index version
    build_ms = (time.perf_counter() - started) * 1000
    completer = index._current().completer  # noqa: SLF001 (only to report its size)

    api: list[float] = []
    answered = 0
    for prefix in typed:
        started = time.perf_counter()
        response = client.get("/api/v1/suggest?" + urlencode({"q": prefix}))
        api.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, prefix
        answered += bool(response.json["suggestions"])
    direct: list[float] = []
    for prefix in typed:
        started = time.perf_counter()
        index.complete(prefix, 8)
        direct.append((time.perf_counter() - started) * 1000)

    docs = index.info().documents
    print(f"{docs} documents; completer: {len(completer)} entries, built in {build_ms:.0f} ms")
    for name, samples in (("/api/v1/suggest", api), ("SearchIndex.complete", direct)):
        print(
            f"{name}: {len(samples)} prefixes, p50 {statistics.median(samples):.2f} ms, "
            f"p95 {percentile(samples, 95):.2f} ms, max {max(samples):.2f} ms"
        )
    print(f"prefixes with at least one suggestion: {answered}/{len(typed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
