"""The document records of the `pages` table, as the indexer and the app read them: the
contract between the crawler and the indexer. One of the tables behind `CrawlStore`
(crawler/store.py)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

from .records import Document


class DocumentReads:
    """Reads of the live documents (a part of `CrawlStore`)."""

    _db: sqlite3.Connection

    def documents(self, source: str | None = None) -> Iterator[Document]:
        """Every live document, in URL order (so builds are deterministic)."""
        sql = "SELECT document FROM pages WHERE status = 'ok' AND document IS NOT NULL"
        args: tuple = ()
        if source:
            sql += " AND source = ?"
            args = (source,)
        for (data,) in self._db.execute(sql + " ORDER BY url", args):
            yield Document.from_json(data)

    def document_count(self, source: str | None = None) -> int:
        """Live documents (of `source`, or of all sources)."""
        sql = "SELECT COUNT(*) FROM pages WHERE status = 'ok' AND document IS NOT NULL"
        args: tuple = ()
        if source:
            sql, args = sql + " AND source = ?", (source,)
        return int(self._db.execute(sql, args).fetchone()[0])

    def document_versions(self) -> Iterator[tuple[str, str, str]]:
        """(url, content_hash, fetched_at) of every live document, in URL order: what
        the indexer needs to plan a build without holding every document in memory."""
        sql = """SELECT url, json_extract(document, '$.content_hash'),
                        json_extract(document, '$.fetched_at')
                 FROM pages WHERE status = 'ok' AND document IS NOT NULL ORDER BY url"""
        yield from self._db.execute(sql)

    def links_to_pdfs(self) -> Iterator[tuple[str, list[str]]]:
        """(url, outlinks) of every live page that links to a PDF: how a publication's
        landing page is found."""
        sql = """SELECT url, links FROM pages WHERE status = 'ok' AND document IS NOT NULL
                 AND links LIKE '%.pdf%' ORDER BY url"""
        for url, links in self._db.execute(sql):
            yield url, json.loads(links or "[]")

    def document(self, url: str) -> Document | None:
        row = self._db.execute(
            "SELECT document FROM pages WHERE url = ? AND document IS NOT NULL", (url,)
        ).fetchone()
        return Document.from_json(row[0]) if row else None
