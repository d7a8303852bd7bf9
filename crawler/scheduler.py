"""The foreground scheduler (`kennisbank scheduler`) for machines without cron.

A small croniter loop instead of a scheduler library: which source is due is
decided exactly as `kennisbank crawl --due` decides it (`schedule.due_sources`,
from the crawl store's finished runs), so the two can never disagree. The loop
sleeps on a `threading.Event` until the next source is due, so setting the event
(SIGTERM, Ctrl+C, or a test) stops it at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .config import Source
from .schedule import due_sources, last_crawl, next_run
from .store import CrawlStore

log = logging.getLogger(__name__)

MAX_SLEEP = 300.0  # re-read the store at least this often (a cron crawl may have run)


def seconds_until_next(sources: list[Source], store: CrawlStore, now: datetime) -> float:
    """Seconds until the first source is due (0 if one is due now)."""
    soonest = min(next_run(s, last_crawl(store, s.name), now) for s in sources)
    return max(0.0, (soonest - now).total_seconds())


def run_scheduler(
    sources: list[Source],
    store_path: Path,
    crawl: Callable[[list[Source]], object],
    *,
    stop: threading.Event,
    max_runs: int | None = None,
    max_sleep: float = MAX_SLEEP,
    retry_wait: float = 60.0,
) -> int:
    """Crawl due sources with `crawl(due)` until `stop` is set or `max_runs` crawls
    have run. Returns the number of crawls run. A crawl that recorded no finished run
    (another crawl held the lock, the store failed) is retried after `retry_wait`."""
    runs = 0
    while not stop.is_set() and (max_runs is None or runs < max_runs):
        now = datetime.now(UTC)
        with CrawlStore(store_path) as store:
            due = due_sources(sources, store, now)
            wait = 0.0 if due else seconds_until_next(sources, store, now)
        if due:
            log.info("scheduler: crawling %s", ", ".join(s.name for s in due))
            crawl(due)
            runs += 1
            with CrawlStore(store_path) as store:
                still_due = due_sources(due, store, datetime.now(UTC))
            if still_due:
                log.warning("scheduler: crawl did not finish; retrying in %.0f s", retry_wait)
                stop.wait(retry_wait)
            continue
        log.info("scheduler: next crawl in %.0f s", wait)
        stop.wait(min(wait, max_sleep))
    return runs
