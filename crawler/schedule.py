"""Which sources are due: each source's cron `schedule` against its last crawl."""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter

from .config import Source
from .store import CrawlStore


def next_run(source: Source, last: datetime | None, now: datetime | None = None) -> datetime:
    """When `source` should next be crawled: the first schedule time after its last crawl
    (now, if it was never crawled)."""
    now = now or datetime.now(UTC)
    if last is None:
        return now
    return croniter(source.schedule, last).get_next(datetime)


def last_crawl(store: CrawlStore, source: str) -> datetime | None:
    """End of the last finished crawl of `source` (a run killed midway does not count)."""
    for run in store.last_runs(200):
        report = run["report"] or {}
        if source in report.get("sources", {}) and run["ended_at"]:
            return datetime.fromisoformat(run["ended_at"])
    return None


def due_sources(
    sources: list[Source], store: CrawlStore, now: datetime | None = None
) -> list[Source]:
    now = now or datetime.now(UTC)
    return [s for s in sources if next_run(s, last_crawl(store, s.name), now) <= now]
