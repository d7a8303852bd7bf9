"""The `pages` table's fetch state: what the crawler writes after each visit of a URL
(a document, a 304, an error, a page gone missing) and reads before the next one, and
the per-source counts the status pages show. One of the tables behind `CrawlStore`
(crawler/store.py); the document records in the same rows are read through
crawler/store_documents.py."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Container

from .records import Document, PageState, utcnow


class PageTable:
    """Fetch-state writes and reads of the `pages` table (a part of `CrawlStore`)."""

    _db: sqlite3.Connection
    run_id: int | None

    def save_document(
        self,
        doc: Document,
        *,
        http_status: int,
        final_url: str,
        etag: str | None,
        last_modified: str | None,
        links: list[str] | None = None,
    ) -> bool:
        """Store a fetched, extracted document. Returns True when its content changed."""
        now = utcnow()
        with self._tx() as db:
            row = db.execute(
                "SELECT content_hash, document IS NOT NULL FROM pages WHERE url = ?", (doc.url,)
            ).fetchone()
            changed = row is None or not row[1] or row[0] != doc.content_hash
            db.execute(
                """INSERT INTO pages(url, source, status, http_status, final_url, etag,
                       last_modified, content_hash, first_seen, last_fetched, last_changed,
                       failures, missing_runs, error, links, document, last_run)
                   VALUES (?, ?, 'ok', ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, NULL, ?, ?, ?)
                   ON CONFLICT(url) DO UPDATE SET
                       source=excluded.source, status='ok', http_status=excluded.http_status,
                       final_url=excluded.final_url, etag=excluded.etag,
                       last_modified=excluded.last_modified,
                       content_hash=excluded.content_hash, last_fetched=excluded.last_fetched,
                       last_changed=CASE WHEN ? THEN excluded.last_changed
                                    ELSE pages.last_changed END,
                       failures=0, missing_runs=0, error=NULL, links=excluded.links,
                       document=excluded.document,
                       last_run=COALESCE(excluded.last_run, pages.last_run)""",
                (
                    doc.url,
                    doc.source,
                    http_status,
                    final_url,
                    etag,
                    last_modified,
                    doc.content_hash,
                    now,
                    now,
                    now,
                    json.dumps(links or []),
                    doc.to_json(),
                    self.run_id,
                    changed,
                ),
            )
        return changed

    def replace_document(self, doc: Document) -> None:
        """Rewrite a live document in place (crawler/boilerplate.py strips template
        lines from documents stored before it knew them)."""
        with self._tx() as db:
            db.execute(
                """UPDATE pages SET document=?, content_hash=?, last_changed=?
                   WHERE url=? AND status='ok' AND document IS NOT NULL""",
                (doc.to_json(), doc.content_hash, utcnow(), doc.url),
            )

    def mark_unchanged(self, url: str, http_status: int = 304) -> None:
        """A conditional GET answered 304: the stored document stays."""
        with self._tx() as db:
            db.execute(
                """UPDATE pages SET last_fetched=?, http_status=?, failures=0, missing_runs=0,
                   error=NULL, last_run=COALESCE(?, last_run) WHERE url=?""",
                (utcnow(), http_status, self.run_id, url),
            )

    def mark_status(
        self,
        url: str,
        source: str,
        status: str,
        *,
        http_status: int | None = None,
        error: str | None = None,
        keep_document: bool = False,
        etag: str | None = None,
        last_modified: str | None = None,
        links: list[str] | None = None,
        final_url: str | None = None,
    ) -> None:
        """Record a page that yields no (new) document: gone, error, listing, noindex,
        duplicate, redirect, skipped. `keep_document` keeps a stored document (and its
        status) through a transient error."""
        now = utcnow()
        failed = status == "error"
        with self._tx() as db:
            db.execute(
                """INSERT INTO pages(url, source, status, http_status, first_seen, last_fetched,
                       failures, error, etag, last_modified, links, document, final_url,
                       last_run)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
                   ON CONFLICT(url) DO UPDATE SET
                       status=CASE WHEN ? AND pages.document IS NOT NULL
                              THEN pages.status ELSE excluded.status END,
                       http_status=excluded.http_status, last_fetched=excluded.last_fetched,
                       failures=CASE WHEN ? THEN pages.failures + 1 ELSE 0 END,
                       error=excluded.error,
                       etag=CASE WHEN ? THEN pages.etag ELSE excluded.etag END,
                       last_modified=CASE WHEN ? THEN pages.last_modified
                                     ELSE excluded.last_modified END,
                       links=COALESCE(excluded.links, pages.links),
                       last_changed=CASE WHEN NOT ? AND pages.document IS NOT NULL
                                    THEN excluded.last_fetched ELSE pages.last_changed END,
                       document=CASE WHEN ? THEN pages.document ELSE NULL END,
                       final_url=COALESCE(excluded.final_url, pages.final_url),
                       last_run=COALESCE(excluded.last_run, pages.last_run)""",
                (
                    url,
                    source,
                    status,
                    http_status,
                    now,
                    now,
                    int(failed),
                    error,
                    etag,
                    last_modified,
                    json.dumps(links) if links is not None else None,
                    final_url,
                    self.run_id,
                    keep_document,
                    failed,
                    keep_document,
                    keep_document,
                    keep_document,
                    keep_document,
                ),
            )

    def mark_missing(
        self, source: str, seen: set[str], threshold: int, *, dry_run: bool = False
    ) -> list[str]:
        """Count a run in which live pages of `source` were not reached; pages missing
        `threshold` runs in a row are gone. Returns the URLs that went (with `dry_run`:
        that would go, and nothing is written)."""
        if dry_run:
            rows = self._db.execute(
                "SELECT url FROM pages WHERE source=? AND status='ok' AND missing_runs + 1 >= ?",
                (source, threshold),
            )
            return [url for (url,) in rows if url not in seen]
        gone = []
        with self._tx() as db:
            rows = db.execute(
                "SELECT url, missing_runs FROM pages WHERE source=? AND status='ok'", (source,)
            ).fetchall()
            for url, missing in rows:
                if url in seen:
                    continue
                if missing + 1 >= threshold:
                    db.execute(
                        """UPDATE pages SET status='gone', missing_runs=missing_runs+1,
                           document=NULL, last_changed=?, error='missing from site' WHERE url=?""",
                        (utcnow(), url),
                    )
                    gone.append(url)
                else:
                    db.execute("UPDATE pages SET missing_runs=missing_runs+1 WHERE url=?", (url,))
        return gone

    def page_state(self, url: str) -> PageState | None:
        row = self._db.execute(
            """SELECT url, source, status, etag, last_modified, content_hash, failures,
                      last_fetched FROM pages WHERE url = ?""",
            (url,),
        ).fetchone()
        return PageState(*row) if row else None

    def known_hash(
        self, content_hash: str, exclude_url: str, ignore: Container[str] = ()
    ) -> str | None:
        """The URL of another live document with this exact content, if any; URLs in
        `ignore` (documents the running crawl is about to let go) do not count."""
        rows = self._db.execute(
            """SELECT url FROM pages WHERE content_hash = ? AND url != ? AND status = 'ok'
               AND document IS NOT NULL LIMIT 100""",
            (content_hash, exclude_url),
        )
        return next((url for (url,) in rows if url not in ignore), None)

    def links(self, url: str) -> list[str]:
        row = self._db.execute("SELECT links FROM pages WHERE url=?", (url,)).fetchone()
        return json.loads(row[0]) if row and row[0] else []

    def counts(self) -> dict[str, dict[str, int]]:
        """Pages per source and status."""
        out: dict[str, dict[str, int]] = {}
        for source, status, n in self._db.execute(
            "SELECT source, status, COUNT(*) FROM pages GROUP BY source, status"
        ):
            out.setdefault(source, {})[status] = n
        return out

    def source_stats(self) -> dict[str, dict]:
        """Per source, for the "Bronnen" page and `kennisbank status`:
        `documents` (live documents), `pages` (URLs known), `errors` (URLs whose last
        visit failed), `gone`, `last_fetched` (latest fetch, ISO UTC, or None) and
        `last_changed` (latest content change, ISO UTC, or None)."""
        out: dict[str, dict] = {}
        for source, docs, pages, errors, gone, fetched, changed in self._db.execute(
            """SELECT source,
                      SUM(status='ok' AND document IS NOT NULL), COUNT(*),
                      SUM(status='error'), SUM(status='gone'),
                      MAX(last_fetched), MAX(last_changed)
               FROM pages GROUP BY source ORDER BY source"""
        ):
            out[source] = {
                "documents": docs or 0,
                "pages": pages,
                "errors": errors or 0,
                "gone": gone or 0,
                "last_fetched": fetched,
                "last_changed": changed,
            }
        return out
