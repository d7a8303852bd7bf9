"""The `runs` table: the journal of crawl runs (start, resume after a crash, report),
behind `CrawlStore` (crawler/store.py)."""

from __future__ import annotations

import json
import sqlite3

from .records import utcnow


class RunJournal:
    """The crawl-run journal (a part of `CrawlStore`)."""

    _db: sqlite3.Connection

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

    def last_success(self, source: str) -> str | None:
        """End of the last run in which `source` did not fail."""
        for run in self.last_runs(50):
            rep = (run["report"] or {}).get("sources", {}).get(source)
            if rep and not rep.get("failed") and run["ended_at"]:
                return run["ended_at"]
        return None
