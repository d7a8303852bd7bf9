"""Fills a crawl store with generated documents in bulk, for benchmarks and tests.

`CrawlStore.save_document` commits once per page and tracks changes, as a crawl must;
for a generated corpus of 100k documents that commit would dominate. This writes the
same rows of the store's `pages` table (crawler/store.py) in one transaction, on its
own connection, so the product's store keeps no code that only benchmarks use.
"""

from __future__ import annotations

import sqlite3

from crawler.store import CrawlStore, Document

_INSERT = """INSERT OR REPLACE INTO pages(url, source, status, http_status, final_url,
       content_hash, first_seen, last_fetched, last_changed, failures, missing_runs,
       links, document)
   VALUES (?, ?, 'ok', ?, ?, ?, ?, ?, ?, 0, 0, ?, ?)"""


def insert_documents(store: CrawlStore, docs: list[Document], *, http_status: int = 200) -> int:
    """Write fresh documents (new or replacing rows, no change tracking) into the open
    `store`'s file in one transaction. Returns the number written."""
    rows = [
        (
            d.url,
            d.source,
            http_status,
            d.url,
            d.content_hash,
            d.fetched_at,
            d.fetched_at,
            d.fetched_at,
            "[]",
            d.to_json(),
        )
        for d in docs
    ]
    db = sqlite3.connect(store.path, timeout=60, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(_INSERT, rows)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    finally:
        db.close()
    return len(rows)
