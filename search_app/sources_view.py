"""The "Bronnen" page: per partner source, what the kennisbank holds and how its
crawling goes (documents indexed, last crawl and its result, next scheduled crawl,
recent errors, robots.txt refusals, the share of 304 answers, a staleness flag) and
the health of its extraction in the last crawl (crawler/health.py; `_health.html`).

It reads `sources.toml`, the crawl store's run reports and the index; it never
fetches anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from croniter import croniter
from flask import Blueprint, current_app, render_template

from crawler.config import ConfigError, Source, load_sources
from crawler.schedule import next_run
from crawler.store import CrawlStore, StoreError

from . import search_index, settings

log = logging.getLogger(__name__)

bp = Blueprint("sources", __name__)

RUNS_READ = 200  # run reports looked at per page view
ERRORS_SHOWN = 5
STALE_FACTOR = 2  # stale when not crawled successfully for longer than 2x the schedule


@dataclass
class SourceStatus:
    name: str
    title: str
    homepage: str
    schedule: str
    documents: int = 0
    last_crawl: datetime | None = None
    last_result: str = "nog nooit gecrawld"
    last_failed: bool = False
    last_success: datetime | None = None
    next_crawl: datetime | None = None
    fetched: int = 0
    not_modified: int = 0
    robots_refused: int = 0
    error_count: int = 0
    errors: list[dict] = field(default_factory=list)
    stale: bool = True
    health: dict = field(default_factory=dict)  # the last run's extraction health

    @property
    def health_warnings(self) -> list[dict]:
        return self.health.get("warnings", [])

    @property
    def not_modified_share(self) -> float | None:
        return self.not_modified / self.fetched if self.fetched else None


def schedule_interval(schedule: str, now: datetime) -> timedelta:
    """The time between two scheduled crawls (the next two, seen from `now`)."""
    it = croniter(schedule, now)
    first = it.get_next(datetime)
    return it.get_next(datetime) - first


def _parse(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


def source_status(source: Source, runs: list[dict], documents: int, now: datetime) -> SourceStatus:
    """One source's status from the run reports (newest first) and the index count.
    Its last crawl is the last finished run that reported on it, as for the scheduler."""
    status = SourceStatus(
        name=source.name,
        title=source.title,
        homepage=source.homepage,
        schedule=source.schedule,
        documents=documents,
    )
    mine = [
        (run, run["report"]["sources"][source.name])
        for run in runs
        if run["ended_at"] and source.name in (run["report"] or {}).get("sources", {})
    ]
    if mine:
        run, rep = mine[0]
        counts = rep.get("counts", {})
        status.last_crawl = _parse(run["ended_at"])
        status.last_failed = bool(rep.get("failed"))
        changed = counts.get("new", 0) + counts.get("changed", 0)
        if status.last_failed:
            status.last_result = f"mislukt: {rep.get('reason') or 'onbekende fout'}"
        else:
            status.last_result = (
                f"gelukt: {counts.get('fetched', 0)} pagina's opgehaald, {changed} nieuw of "
                f"gewijzigd, {counts.get('gone', 0)} verdwenen"
            )
        status.fetched = counts.get("fetched", 0)
        status.not_modified = counts.get("not_modified", 0)
        status.robots_refused = counts.get("robots_refused", 0)
        status.error_count = counts.get("errors", 0)
        status.health = rep.get("health") or {}
    for run, rep in mine[:3]:
        for err in rep.get("errors", []):
            if len(status.errors) < ERRORS_SHOWN:
                status.errors.append({**err, "when": _parse(run["ended_at"])})
    successes = [_parse(run["ended_at"]) for run, rep in mine if not rep.get("failed")]
    status.last_success = successes[0] if successes else None
    status.next_crawl = next_run(source, status.last_crawl, now)
    limit = STALE_FACTOR * schedule_interval(source.schedule, now)
    status.stale = status.last_success is None or now - status.last_success > limit
    return status


def sources_overview(
    sources_file: Path, data_dir: Path, documents: dict[str, int], now: datetime | None = None
) -> list[SourceStatus]:
    now = now or datetime.now(UTC)
    config = load_sources(sources_file)
    runs: list[dict] = []
    store_path = Path(data_dir) / "crawl.sqlite"
    if store_path.exists():  # never create a store just to show that it is empty
        with CrawlStore.reader(store_path) as store:  # read-only: the server never writes
            runs = store.last_runs(RUNS_READ)
    return [source_status(s, runs, documents.get(s.name, 0), now) for s in config.sources]


@bp.get("/bronnen")
def sources_page():
    app = current_app
    sources_file = settings.resolve_sources_file(
        app.config.get("SOURCES_FILE"), Path(app.config["DATA_DIR"])
    )
    try:
        index = search_index(app)
        documents = index.documents_per_source()
        meaning = index.meaning_status()
        rows = sources_overview(sources_file, Path(app.config["DATA_DIR"]), documents)
    except (ConfigError, StoreError) as exc:
        log.error("sources page: %s", exc)
        message = f"Het overzicht van de bronnen is niet beschikbaar: {exc}"
        return render_template("error.html", message=message, status=503), 503
    return render_template("sources.html", rows=rows, now=datetime.now(UTC), meaning=meaning)
