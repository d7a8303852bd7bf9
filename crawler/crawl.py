"""The crawl run: sources crawled concurrently, each host politely, into the crawl store.

`Crawler.run()` takes a list of sources, crawls each in its own thread (one request
at a time per host through a `HostGate` shared by all sources, per-host delay never
below robots.txt's Crawl-delay), records every page's result as it goes, and
returns a `RunReport`. A lock file keeps one crawl per data dir; the OS releases it
when a crawl dies.

Resuming: every page row written in a run carries the run's id (`last_run`). A run
that never finished (the process was killed) is resumed by the next crawl of the
same sources: it keeps the run id, and pages already visited under that id are not
fetched again; their stored links still feed the frontier, so the rest of the site
is reached as before.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .boilerplate import CrossPageFilter
from .config import CrawlSettings, Source
from .extract import ExtractError, extract_html, extract_pdf
from .fetch import Fetcher, FetchError
from .health import ExtractionHealth
from .politeness import HostGate
from .robots import HostRules, RobotsCache
from .sitemap import SitemapError, parse_sitemap
from .store import CrawlStore, StoreError, utcnow
from .urls import BadURL, host_of, looks_like_trap, normalize

log = logging.getLogger(__name__)

MAX_ERRORS_KEPT = 50
MAX_SITEMAPS = 20


class CrawlLocked(Exception):
    """Another crawl holds this data dir."""


@contextmanager
def crawl_lock(data_dir: Path) -> Iterator[None]:
    """One crawl per data dir: an flock, released by the OS if the process dies."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "crawl.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise CrawlLocked(f"another crawl is running on {data_dir}") from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)


@dataclass
class SourceReport:
    name: str
    counts: Counter = field(default_factory=Counter)
    errors: list[dict] = field(default_factory=list)
    failed: bool = False
    reason: str = ""
    health: dict = field(default_factory=dict)  # crawler/health.py

    @property
    def warnings(self) -> list[dict]:
        return self.health.get("warnings", [])

    def error(self, url: str, kind: str, message: str) -> None:
        self.counts["errors"] += 1
        self.counts[f"error:{kind}"] += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"url": url, "kind": kind, "message": message[:300]})

    def as_dict(self) -> dict:
        return {
            "counts": dict(sorted(self.counts.items())),
            "errors": self.errors,
            "failed": self.failed,
            "reason": self.reason,
            "health": self.health,
        }


@dataclass
class RunReport:
    started_at: str
    ended_at: str = ""
    sources: dict[str, SourceReport] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.sources.values())

    @property
    def warned(self) -> bool:
        """Whether extraction health warned about a source (crawler/health.py)."""
        return any(r.warnings for r in self.sources.values())

    @property
    def changed(self) -> bool:
        return any(
            r.counts["new"] or r.counts["changed"] or r.counts["gone"]
            for r in self.sources.values()
        )

    def as_dict(self) -> dict:
        return {
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "sources": {k: v.as_dict() for k, v in self.sources.items()},
        }


class Frontier:
    """URLs to visit for one source, breadth first, capped at `max_pages` URLs."""

    def __init__(self, max_pages: int) -> None:
        self.max_pages = max_pages
        self._queue: deque[tuple[str, int]] = deque()
        self._seen: set[str] = set()

    def add(self, url: str, depth: int, front: bool = False) -> bool:
        if url in self._seen or len(self._seen) >= self.max_pages:
            return False
        self._seen.add(url)
        if front:
            self._queue.appendleft((url, depth))
        else:
            self._queue.append((url, depth))
        return True

    def mark_seen(self, url: str) -> bool:
        """Returns False when the URL was already seen."""
        if url in self._seen:
            return False
        self._seen.add(url)
        return True

    def pop(self) -> tuple[str, int] | None:
        return self._queue.popleft() if self._queue else None

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def full(self) -> bool:
        return len(self._seen) >= self.max_pages


class Crawler:
    """Crawls sources into the crawl store at `store_path`."""

    def __init__(
        self,
        store_path: Path,
        settings: CrawlSettings,
        *,
        route: str | None = None,
        polite: bool = True,
        progress: bool = True,
        allow_private: bool | None = None,
    ) -> None:
        self.store_path = Path(store_path)
        self.settings = settings
        self.route = route
        # Whether redirects may lead to non-public addresses (crawler/addresses.py);
        # None: only when routed to the bundled mirror. A source can allow it itself.
        self.allow_private = allow_private
        self.polite = polite
        self.progress = progress
        self._bar_lock = threading.Lock()
        self._bar: tqdm | None = None

    def run(self, sources: list[Source]) -> RunReport:
        report = RunReport(started_at=utcnow())
        with CrawlStore(self.store_path) as store:
            run_id, resumed = store.open_run([s.name for s in sources])
        if resumed:
            log.warning("resuming interrupted crawl run %d", run_id)
        # One gate and one robots cache per run, shared by the sources' threads.
        gate = HostGate()
        robots = RobotsCache(gate)
        self._bar = tqdm(desc="crawl", unit="p", disable=not self.progress, leave=False)
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(4, len(sources)))) as pool:
                results = list(
                    pool.map(
                        lambda s: self._crawl_source_safely(s, run_id, resumed, gate, robots),
                        sources,
                    )
                )
        finally:
            self._bar.close()
        for result in results:
            report.sources[result.name] = result
        report.ended_at = utcnow()
        with CrawlStore(self.store_path) as store:
            store.finish_run(run_id, report.as_dict())
        return report

    def _tick(self, url: str) -> None:
        if self._bar is not None:
            with self._bar_lock:
                self._bar.update(1)
                self._bar.set_postfix_str(url[-40:], refresh=False)

    def _crawl_source_safely(
        self, source: Source, run_id: int, resumed: bool, gate: HostGate, robots: RobotsCache
    ) -> SourceReport:
        report = SourceReport(source.name)
        try:
            with CrawlStore(self.store_path, run_id=run_id) as store:
                done = store.done_in_run(run_id, source.name) if resumed else {}
                _SourceCrawl(self, source, store, report, gate, robots, done).run()
        except StoreError as exc:
            report.failed = True
            report.reason = str(exc)
            log.error("source %s: %s", source.name, exc)
        return report


class _SourceCrawl:
    """The crawl of one source: frontier, robots, fetch, extract, store."""

    def __init__(
        self,
        crawler: Crawler,
        source: Source,
        store: CrawlStore,
        report: SourceReport,
        gate: HostGate,
        robots: RobotsCache,
        done: dict[str, tuple[str, str | None]],
    ) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.source = source
        self.store = store
        self.report = report
        self.fetcher = Fetcher(
            crawler.settings,
            route=crawler.route,
            allow_private=True if source.allow_private else crawler.allow_private,
        )
        self.gate = gate
        self.robots = robots
        self.done = done  # visited earlier in this (resumed) run: not fetched again
        self.frontier = Frontier(source.max_pages)
        self.reached: set[str] = set()
        self.host_failures: Counter = Counter()
        self.paused_hosts: set[str] = set()
        self.health = ExtractionHealth(source)
        self.cross_page = CrossPageFilter(store, source.name)

    # --- setup ------------------------------------------------------------

    def _rules(self, url: str) -> HostRules:
        return self.robots.rules_for(
            url, self.fetcher, self.source.delay if self.crawler.polite else 0.0
        )

    def _delay(self, url: str) -> float:
        if not self.crawler.polite:
            return 0.0
        rules = self._rules(url)
        return max(self.source.delay, rules.crawl_delay(self.settings.user_agent))

    def _seed(self) -> None:
        sitemap_urls = list(self.source.sitemaps)
        for start in self.source.start_urls:
            try:
                start = normalize(start)
            except BadURL as exc:
                self.report.error(start, "config", str(exc))
                continue
            rules = self._rules(start)
            sitemap_urls += [s for s in rules.sitemaps if s not in sitemap_urls]
        entries = []
        queue = deque(sitemap_urls)
        done = 0
        while queue and done < MAX_SITEMAPS:
            sm_url = queue.popleft()
            done += 1
            try:
                sm_url = normalize(sm_url)
                if not self.source.allows_host(host_of(sm_url)):
                    continue
                if not self._rules(sm_url).can_fetch(sm_url, self.settings.user_agent):
                    self.report.counts["robots_refused"] += 1
                    continue
                with self.gate.slot(host_of(sm_url), self._delay(sm_url)):
                    resp = self.fetcher.get(sm_url, allow=self.source.wants)
                if resp.status != 200:
                    self.report.error(sm_url, "sitemap", f"HTTP {resp.status}")
                    continue
                for entry in parse_sitemap(resp.body):
                    if entry.is_index:
                        queue.append(entry.loc)
                    else:
                        entries.append(entry)
            except (FetchError, SitemapError, BadURL) as exc:
                self.report.error(sm_url, getattr(exc, "kind", "sitemap"), str(exc))
        self.report.counts["sitemap_urls"] += len(entries)
        # Recently modified pages first: after a change on the site, they matter most.
        entries.sort(key=lambda e: e.lastmod or "", reverse=True)
        for start in self.source.start_urls:
            try:
                self.frontier.add(normalize(start), 0)
            except BadURL:
                continue
        for entry in entries:
            try:
                url = normalize(entry.loc)
            except BadURL:
                continue
            if self.source.wants(url):
                self.frontier.add(url, 0)

    # --- the loop -----------------------------------------------------------

    def run(self) -> None:
        self._seed()
        while True:
            item = self.frontier.pop()
            if item is None:
                break
            url, depth = item
            host = host_of(url)
            if host in self.paused_hosts:
                self.report.counts["skipped:host_paused"] += 1
                continue
            if url in self.done:
                self._replay(url, depth)
                continue
            try:
                self._visit(url, depth)
            except StoreError:
                raise
            except Exception as exc:  # one broken page must not end the crawl
                log.exception("unexpected error on %s", url)
                self.report.error(url, "internal", repr(exc))
            self.crawler._tick(url)
        if self.frontier.full:
            self.report.counts["page_cap_reached"] += 1
        if not self.report.failed and not self.paused_hosts:
            gone = self.store.mark_missing(
                self.source.name, self.reached, self.settings.gone_after_missing_runs
            )
            self.report.counts["gone"] += len(gone)
        stripped = self.cross_page.finish()
        if stripped:
            self.report.counts["template_stripped"] += stripped
        self.report.health = self.health.summary(self.store.documents(self.source.name))
        self.report.counts["documents"] = sum(1 for _ in self.store.documents(self.source.name))
        self.fetcher.close()

    def _replay(self, url: str, depth: int) -> None:
        """A page this run visited before it was interrupted: not fetched again, but
        its stored outcome still counts as reached and its links still lead on."""
        status, final_url = self.done.pop(url)
        self.report.counts["resumed"] += 1
        if status == "redirect" and final_url:
            self.frontier.add(final_url, depth, front=True)
            return
        self.reached.add(url)
        if status in ("ok", "listing", "noindex", "duplicate"):
            self._enqueue_links(self.store.links(url), depth)

    def _enqueue_links(self, links: list[str], depth: int) -> None:
        if depth >= self.source.max_depth:
            return
        for link in links:
            if not self.source.wants(link):
                continue
            trap = looks_like_trap(link)
            if trap:
                self.report.counts[f"skipped:trap:{trap}"] += 1
                continue
            self.frontier.add(link, depth + 1)

    def _visit(self, url: str, depth: int) -> None:
        source, store, report = self.source, self.store, self.report
        host = host_of(url)
        rules = self._rules(url)
        if not rules.available:
            self.paused_hosts.add(host)
            report.failed = True
            report.reason = f"{host}: {rules.reason}"
            return
        if not rules.can_fetch(url, self.settings.user_agent):
            report.counts["robots_refused"] += 1
            state = store.page_state(url)
            if state is not None and state.status == "ok":
                store.mark_status(url, source.name, "gone", error="disallowed by robots.txt")
                report.counts["gone"] += 1
            return
        state = store.page_state(url)
        report.counts["fetched"] += 1
        try:
            with self.gate.slot(host, self._delay(url)):
                resp = self.fetcher.get(
                    url,
                    etag=state.etag if state else None,
                    last_modified=state.last_modified if state else None,
                    allow=source.wants,
                )
        except FetchError as exc:
            report.error(url, exc.kind, str(exc))
            store.mark_status(url, source.name, "error", error=str(exc), keep_document=True)
            self.reached.add(url)  # a transient failure is not absence
            self.host_failures[host] += 1
            if self.host_failures[host] >= self.settings.max_host_failures:
                log.warning(
                    "pausing %s for this run after %d failures", host, self.host_failures[host]
                )
                self.paused_hosts.add(host)
                report.failed = True
                report.reason = f"{host} paused after {self.host_failures[host]} failures"
            return
        self.host_failures[host] = 0
        if resp.redirects:
            report.counts["redirects"] += 1
            store.mark_status(
                url,
                source.name,
                "redirect",
                http_status=301,
                error=f"redirects to {resp.url}",
                final_url=resp.url,
            )
            url = resp.url
            if not self.frontier.mark_seen(url) and url in self.reached:
                return
            state = store.page_state(url)
        self.reached.add(url)
        self._handle(url, depth, resp, state)

    def _handle(self, url, depth, resp, state) -> None:
        source, store, report = self.source, self.store, self.report
        if resp.status == 304:
            if state is None or state.status not in ("ok", "listing"):
                report.error(url, "protocol", "304 for a page we do not have")
                return
            report.counts["not_modified"] += 1
            report.counts["unchanged"] += 1
            store.mark_unchanged(url)
            self._enqueue_links(store.links(url), depth)
            return
        if resp.status in (404, 410):
            had_doc = state is not None and state.status == "ok"
            store.mark_status(url, source.name, "gone", http_status=resp.status)
            report.counts["gone" if had_doc else "not_found"] += 1
            return
        if resp.status != 200:
            report.error(url, "http", f"HTTP {resp.status}")
            store.mark_status(
                url,
                source.name,
                "error",
                http_status=resp.status,
                error=f"HTTP {resp.status}",
                keep_document=True,
            )
            return
        etag = resp.headers.get("ETag")
        last_modified = resp.headers.get("Last-Modified")
        ctype = resp.content_type
        robots_header = resp.headers.get("X-Robots-Tag", "")
        try:
            if ctype in ("text/html", "application/xhtml+xml") or (
                not ctype and resp.body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))
            ):
                extracted = extract_html(
                    resp.body,
                    url,
                    source,
                    self.settings,
                    content_type_header=resp.headers.get("Content-Type", ""),
                    robots_header=robots_header,
                )
            elif ctype == "application/pdf" or resp.body[:5] == b"%PDF-":
                if "noindex" in robots_header.lower():
                    store.mark_status(url, source.name, "noindex", http_status=200)
                    report.counts["noindex"] += 1
                    return
                doc = extract_pdf(resp.body, url, source, self.settings)
                self._save(doc, resp, etag, last_modified, [])
                return
            else:
                report.counts[f"skipped:type:{ctype or 'unknown'}"] += 1
                report.counts["skipped"] += 1
                store.mark_status(
                    url, source.name, "skipped", http_status=200, error=f"content type {ctype}"
                )
                return
        except ExtractError as exc:
            report.error(url, exc.kind, str(exc))
            store.mark_status(
                url, source.name, "error", http_status=200, error=str(exc), keep_document=True
            )
            return
        links = extracted.links
        self._enqueue_links(links, depth)
        if extracted.canonical and extracted.canonical != url and source.wants(extracted.canonical):
            report.counts["duplicates:canonical"] += 1
            store.mark_status(
                url,
                source.name,
                "duplicate",
                http_status=200,
                error=f"canonical is {extracted.canonical}",
                links=links,
            )
            self.frontier.add(extracted.canonical, depth, front=True)
            return
        if extracted.noindex or extracted.document is None:
            report.counts["noindex"] += 1
            store.mark_status(
                url,
                source.name,
                "noindex",
                http_status=200,
                etag=etag,
                last_modified=last_modified,
                links=links,
            )
            return
        if source.is_follow_only(url):
            report.counts["listing"] += 1
            store.mark_status(
                url,
                source.name,
                "listing",
                http_status=200,
                etag=etag,
                last_modified=last_modified,
                links=links,
            )
            return
        self.health.saw(url, extracted)
        self._save(self.cross_page.clean(extracted.document), resp, etag, last_modified, links)

    def _save(self, doc, resp, etag, last_modified, links) -> None:
        source, store, report = self.source, self.store, self.report
        twin = store.known_hash(doc.content_hash, doc.url)
        if twin is not None:
            report.counts["duplicates:content"] += 1
            store.mark_status(
                doc.url,
                source.name,
                "duplicate",
                http_status=200,
                error=f"same content as {twin}",
                links=links,
            )
            return
        state = store.page_state(doc.url)
        changed = store.save_document(
            doc,
            http_status=resp.status,
            final_url=resp.url,
            etag=etag,
            last_modified=last_modified,
            links=links,
        )
        if state is None or state.status != "ok":
            report.counts["new"] += 1
        elif changed:
            report.counts["changed"] += 1
        else:
            report.counts["unchanged"] += 1
