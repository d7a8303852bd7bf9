"""The crawl store: the contract between the crawler and the indexer.

One SQLite database (WAL mode) in the data dir. The `pages` table has one row per
canonical URL: its fetch state (ETag, Last-Modified, failures, when it is due) and
the extracted document record. The `runs` table records every crawl run.

`Document` is the document record; this module is the one place it is defined.
The indexer reads documents through `CrawlStore.documents()` and never touches
HTTP; the crawler writes them through `CrawlStore.save_document()`.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
from collections.abc import Container, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

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
    next_due       TEXT,
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


def utcnow() -> str:
    """Timestamps in the store: ISO 8601, UTC, second precision."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class Document:
    """The document record: what the crawler extracts and the indexer indexes."""

    url: str
    source: str
    title: str
    text: str
    doc_type: str
    content_hash: str
    fetched_at: str
    description: str = ""
    date: str | None = None  # published, YYYY-MM-DD
    modified: str | None = None  # YYYY-MM-DD
    themes: list[str] = field(default_factory=list)
    audience: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    content_type: str = "text/html"
    language: str = "nl"
    # Videos the page embeds: {"title", "url"} with the video site's own page as url.
    videos: list[dict] = field(default_factory=list)
    pages: int | None = None  # a PDF's page count
    size: int | None = None  # a PDF's size in bytes

    @property
    def site(self) -> str:
        """The host without `www.`: what users know a partner site by."""
        host = self.url.split("/")[2].lower() if "//" in self.url else ""
        return host.removeprefix("www.")

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, data: str) -> Document:
        return cls(**json.loads(data))


@dataclass
class PageState:
    """The fetch state of one URL, as the crawler needs it for the next visit."""

    url: str
    source: str
    status: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    failures: int = 0
    last_fetched: str | None = None


class CrawlStore:
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

    # --- writes -----------------------------------------------------------

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

    def start_run(self, sources: list[str]) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO runs(started_at, sources) VALUES (?, ?)",
                (utcnow(), json.dumps(sources)),
            )
            return int(cur.lastrowid)

    def open_run(self, sources: list[str]) -> tuple[int, bool]:
        """Start a run, or resume the last one if it never finished (the crawl died)
        and was for the same sources. Returns (run id, resumed).

        Only one crawl runs per data dir (the crawl lock), so an unfinished run is a
        dead one. An unfinished run for other sources is closed as interrupted."""
        with self._tx() as db:
            row = db.execute(
                "SELECT id, sources FROM runs WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if row is not None and sorted(json.loads(row[1])) == sorted(sources):
                return int(row[0]), True
            db.execute(
                "UPDATE runs SET ended_at=?, report=? WHERE ended_at IS NULL",
                (utcnow(), json.dumps({"interrupted": True, "sources": {}})),
            )
            cur = db.execute(
                "INSERT INTO runs(started_at, sources) VALUES (?, ?)",
                (utcnow(), json.dumps(sources)),
            )
            return int(cur.lastrowid), False

    def done_in_run(self, run_id: int, source: str) -> dict[str, tuple[str, str | None]]:
        """URLs of `source` that run `run_id` already visited: url -> (status, final URL).
        A resumed run skips these instead of fetching them again."""
        return {
            url: (status, final_url)
            for url, status, final_url in self._db.execute(
                "SELECT url, status, final_url FROM pages WHERE last_run=? AND source=?",
                (run_id, source),
            )
        }

    def finish_run(self, run_id: int, report: dict) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET ended_at=?, report=? WHERE id=?",
                (utcnow(), json.dumps(report, ensure_ascii=False, sort_keys=True), run_id),
            )

    # --- reads ------------------------------------------------------------

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

    def counts(self) -> dict[str, dict[str, int]]:
        """Pages per source and status."""
        out: dict[str, dict[str, int]] = {}
        for source, status, n in self._db.execute(
            "SELECT source, status, COUNT(*) FROM pages GROUP BY source, status"
        ):
            out.setdefault(source, {})[status] = n
        return out

    def last_runs(self, limit: int = 10) -> list[dict]:
        rows = self._db.execute(
            "SELECT id, started_at, ended_at, sources, report FROM runs ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {
                "id": r[0],
                "started_at": r[1],
                "ended_at": r[2],
                "sources": json.loads(r[3]),
                "report": json.loads(r[4]) if r[4] else None,
            }
            for r in rows
        ]

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

    def links(self, url: str) -> list[str]:
        row = self._db.execute("SELECT links FROM pages WHERE url=?", (url,)).fetchone()
        return json.loads(row[0]) if row and row[0] else []

    def last_success(self, source: str) -> str | None:
        """End of the last run in which `source` did not fail."""
        for run in self.last_runs(50):
            rep = (run["report"] or {}).get("sources", {}).get(source)
            if rep and not rep.get("failed") and run["ended_at"]:
                return run["ended_at"]
        return None


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
