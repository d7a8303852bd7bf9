"""One shared searcher, many server threads: Whoosh's readers seek and read shared file
objects, so unguarded concurrent reads return each other's bytes (found by
bench/load.py as sporadic 500s: UnicodeDecodeError in read_pickle). The engine
serialises reads; this hammers it from threads with searches, documents, similar
documents and streamed exports at once, bounded in count."""

from __future__ import annotations

import sys
import threading

from indexer.engine import SearchIndex, SearchRequest

QUERIES = ["jeugdraad", "speelpleinen", "kinderen stad", '"jeugdbeleid"', "participatie"]


def test_concurrent_reads_of_one_searcher(sample_data):
    index = SearchIndex(sample_data)
    ids = [h.id for h in index.search(SearchRequest(query="jeugd", per_page=20)).hits]
    errors: list[str] = []

    def work(seed: int) -> None:
        try:
            for i in range(20):
                q = QUERIES[(seed + i) % len(QUERIES)]
                index.search(SearchRequest(query=q, page=1 + i % 3))
                index.document(ids[(seed + i) % len(ids)])
                if i % 5 == 0:
                    index.similar(ids[i % len(ids)])
                    stream = index.iter_hits(SearchRequest(query=q), cap=30)
                    assert len(list(stream.hits)) == min(30, stream.total)
        except Exception as exc:  # any escape is the failure under test
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: without the lock this fails
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
