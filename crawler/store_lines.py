"""The `page_lines` table: the raw line keys of each page's extracted text, from which
crawler/boilerplate.py learns a site's template lines. Behind `CrawlStore`
(crawler/store.py)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator


class PageLines:
    """Line keys per page (a part of `CrawlStore`)."""

    _db: sqlite3.Connection

    def save_line_keys(self, source: str, keys: dict[str, list[str]]) -> None:
        """Record the line keys of pages' raw extracted text (crawler/boilerplate.py)."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO page_lines(url, source, keys) VALUES (?, ?, ?)",
                [(url, source, json.dumps(k)) for url, k in keys.items()],
            )

    def line_keys(self, source: str) -> Iterator[list[str]]:
        """The recorded line keys of each live document of `source`."""
        for (data,) in self._db.execute(
            """SELECT l.keys FROM page_lines l JOIN pages p ON p.url = l.url
               WHERE l.source = ? AND p.status = 'ok' AND p.document IS NOT NULL""",
            (source,),
        ):
            yield json.loads(data)
