"""The crawl store: the contract between the crawler and the indexer.

One SQLite database (WAL mode) in the data dir. The `pages` table has one row per
canonical URL: its fetch state (ETag, Last-Modified, failures) and the extracted
document record. The `runs` table records every crawl run, `page_lines` the line keys
the boilerplate learner reads.

This module owns the file: the schema, opening (read-write or read-only), migrations
and transactions. `CrawlStore` is the one facade callers use; its methods live with
their table: crawler/store_pages.py (fetch state), crawler/store_documents.py (the
documents the indexer reads), crawler/store_runs.py (the run journal),
crawler/store_lines.py (page lines). `Document` and `PageState` are defined in
crawler/records.py and re-exported here. The indexer reads documents through
`CrawlStore.documents()` and never touches HTTP; the crawler writes them through
`CrawlStore.save_document()`.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .records import Document, PageState, utcnow
from .store_documents import DocumentReads
from .store_lines import PageLines
from .store_pages import PageTable
from .store_runs import RunJournal

__all__ = ["CrawlStore", "Document", "PageState", "StoreError", "StoreMissing", "utcnow"]

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url            TEXT PRIMARY KEY,     -- canonical, normalised URL
    source         TEXT NOT NULL,
    status         TEXT NOT NULL,        -- ok | gone | error | skipped | redirect
    http_status    INTEGER,
    final_url      TEXT,
    etag           TEXT,
    last_modified  TEXT,
    content_hash   TEXT,
    first_seen     TEXT NOT NULL,
    last_fetched   TEXT,
    last_changed   TEXT,
    failures       INTEGER NOT NULL DEFAULT 0,
    missing_runs   INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    links          TEXT,                 -- JSON list of outlinks, reused on a 304
    document       TEXT,                 -- JSON of Document, NULL when not indexable
    last_run       INTEGER               -- id of the run that last visited the URL
);
CREATE INDEX IF NOT EXISTS pages_source ON pages(source);
CREATE INDEX IF NOT EXISTS pages_hash ON pages(content_hash);
CREATE INDEX IF NOT EXISTS pages_run ON pages(last_run);
CREATE TABLE IF NOT EXISTS runs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    sources    TEXT NOT NULL,            -- JSON list of source names
    report     TEXT                      -- JSON: per source counters and errors
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS page_lines (  -- crawler/boilerplate.py: raw line keys per page
    url    TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    keys   TEXT NOT NULL                 -- JSON list of line keys
);
CREATE INDEX IF NOT EXISTS page_lines_source ON page_lines(source);
"""


class StoreError(Exception):
    """The crawl store is missing, corrupt or cannot be written."""


class StoreMissing(StoreError):
    """There is no crawl store (or only an empty file where one should be)."""


class CrawlStore(PageTable, DocumentReads, RunJournal, PageLines):
    """SQLite crawl store. Each write commits on its own, so a killed crawl loses
    at most the page in flight.

    `run_id`, when set, is written into every page row a write touches (`last_run`):
    after a crash, the pages whose `last_run` is the interrupted run's id are the
    ones that run has done, and a resumed run does not fetch them again.
    """

    def __init__(self, path: Path, run_id: int | None = None, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.run_id = run_id
        if readonly:
            self._db = _open_readonly(self.path)
            return
        if self.path.is_file() and self.path.stat().st_size == 0:
            # SQLite would take it for a new database: a truncated or lost store must
            # not silently become an empty one (and then empty the index).
            raise StoreMissing(
                f"crawl store {self.path} is an empty file: restore it from a backup, "
                "or delete it to start a new crawl"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"crawl store {self.path} cannot be opened: {exc}") from exc

    @classmethod
    def reader(cls, path: Path) -> CrawlStore:
        """The store opened for reading only (status, the "Bronnen" page, the indexer):
        it never creates or changes a file, and works on a read-only data dir."""
        return cls(path, readonly=True)

    def _migrate(self) -> None:
        """Bring a store written by an older version up to this schema."""
        cols = {r[1] for r in self._db.execute("PRAGMA table_info(pages)")}
        if cols and "last_run" not in cols:
            self._db.execute("ALTER TABLE pages ADD COLUMN last_run INTEGER")
            self._db.execute(
                "UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),)
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CrawlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"crawl store {self.path}: {exc}") from exc


def _open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to an existing store. A WAL database wants to create its
    `-shm` file even to read; in a folder the reader may not write (a server run with
    read-only access to the data dir) it is opened `immutable` instead: as it is on
    disk, which is what the last finished crawl left."""
    if not path.is_file() or path.stat().st_size == 0:
        raise StoreMissing(
            f"no crawl store at {path} (missing or an empty file): run `kennisbank crawl`, "
            "or restore the store from a backup"
        )
    uri = "file:" + urllib.parse.quote(str(path.resolve()))
    db = None
    try:
        try:
            db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, isolation_level=None)
            tables = _tables(db)
        except sqlite3.OperationalError:
            if db is not None:
                db.close()
            db = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
            tables = _tables(db)
    except sqlite3.DatabaseError as exc:
        if db is not None:
            db.close()
        raise StoreError(f"crawl store {path} cannot be read: {exc}") from exc
    if "pages" not in tables:
        db.close()
        raise StoreError(f"crawl store {path} holds no crawl data (not a crawl store?)")
    return db


def _tables(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
