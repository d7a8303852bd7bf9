"""Cost of one search over a document that holds the query word tens of thousands of
times, and what it does to an unrelated search sent meanwhile.

A small index is built in a temporary folder: a few ordinary pages and one long page, the only
one in which "jeugdraad" occurs, `--hits` times (40,000 by default, about 400 KB of text). Then:

1. `q=jeugdraad` alone (the long page is its best hit, so its snippet is made);
2. the same search in one thread and, 50 ms later, `q=speelplein` in another thread of
   the same `SearchIndex` (searches share one process, as in the served app): how long
   the unrelated search waited.

    python -m bench snippets [--hits 40000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.store_fill import insert_documents
from crawler.store import CrawlStore, Document


def _doc(url: str, title: str, text: str) -> Document:
    return Document(
        url=url,
        source="bench",
        title=title,
        text=text,
        doc_type="artikel",
        content_hash=hashlib.blake2b(text.encode(), digest_size=16).hexdigest(),
        fetched_at="2026-01-01T00:00:00+00:00",
        date="2025-05-01",
    )


def build(data_dir: Path, hits: int) -> None:
    from indexer.build import update_index

    filler = "De gemeente bespreekt het beleid met de {} tijdens een open vergadering."
    docs = [
        _doc(
            f"https://bench.example/gewoon-{i}",
            f"Gewone pagina {i}",
            " ".join(filler.format(w) for w in ("speelplein", "jongeren", "ouders") * 5),
        )
        for i in range(20)
    ]
    long_text = " ".join(f"De jeugdraad vergadert voor de {i}e keer." for i in range(hits))
    docs.append(_doc("https://bench.example/lang", "Lange pagina", long_text))
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        insert_documents(store, docs)
    update_index(data_dir, rebuild=True, progress=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.snippets", description=__doc__)
    parser.add_argument("--hits", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from indexer.engine import SearchIndex, SearchRequest

    with tempfile.TemporaryDirectory(prefix="kb-bench-snippets-") as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        build(data_dir, args.hits)
        took = time.perf_counter() - started
        print(f"index of 21 documents, one with {args.hits} hits: {took:.1f} s")
        index = SearchIndex(data_dir)
        index.search(SearchRequest(query="vergadering"))  # warm: files open, caches filled

        def timed(query: str, out: list[float]) -> None:
            t = time.perf_counter()
            result = index.search(SearchRequest(query=query))
            out.append(time.perf_counter() - t)
            assert result.total > 0

        alone: list[float] = []
        long_q: list[float] = []
        other: list[float] = []
        for _ in range(args.rounds):
            timed("jeugdraad", alone)
            worker = threading.Thread(target=timed, args=("jeugdraad", long_q))
            worker.start()
            time.sleep(0.05)
            timed("speelplein", other)
            worker.join()
        print(f"q=jeugdraad alone          median {statistics.median(alone) * 1000:8.1f} ms")
        print(f"q=jeugdraad, concurrent    median {statistics.median(long_q) * 1000:8.1f} ms")
        print(f"q=speelplein meanwhile     median {statistics.median(other) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
