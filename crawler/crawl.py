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

import logging
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
from .extract import Extracted, ExtractError, extract_html, extract_pdf
from .fetch import Fetcher, FetchError, Response, RobotsRedirect
from .filelock import FileLock, Locked
from .health import ExtractionHealth
from .politeness import HostGate
from .robots import HostRules, RobotsCache
from .sitemap import SitemapError, parse_sitemap
from .store import CrawlStore, Document, StoreError, utcnow
from .urls import BadURL, host_of, looks_like_trap, normalize

log = logging.getLogger(__name__)

MAX_ERRORS_KEPT = 50
MAX_SITEMAPS = 20


class CrawlLocked(Exception):
    """Another crawl holds this data dir."""


@contextmanager
def crawl_lock(data_dir: Path) -> Iterator[None]:
    """One crawl per data dir: an flock, released by the OS if the process dies."""
    try:
        lock = FileLock(data_dir / "crawl.lock", note_pid=True).acquire()
    except Locked as exc:
        raise CrawlLocked(f"another crawl is running on {data_dir}") from exc
    try:
        yield
    finally:
        lock.release()


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
        assume_public: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        self.store_path = Path(store_path)
        self.settings = settings
        self.route = route
        # Whether redirects may lead to non-public addresses (crawler/addresses.py);
        # None: only when routed to the bundled mirror. A source can allow it itself.
        self.allow_private = allow_private
        # (address, port) pairs counted as public (a loopback test server standing in
        # for a public site); see crawler/addresses.py.
        self.assume_public = frozenset(assume_public)
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
            assume_public=crawler.assume_public,
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
        # Documents this run would take away (gone, duplicate, redirected...): written
        # with the document kept, and let go only at the end, if the losses stay
        # plausible (`_settle_losses`). url -> (status, mark_status arguments).
        self.losses: dict[str, tuple[str, dict]] = {}
        self.live_at_start = store.document_count(source.name)

    # --- setup ------------------------------------------------------------

    def _rules(self, url: str) -> HostRules:
        return self.robots.rules_for(
            url, self.fetcher, self.source.delay if self.crawler.polite else 0.0
        )

    def _delay(self, url: str) -> float:
        if not self.crawler.polite:
            return 0.0
        wanted = self._rules(url).crawl_delay(self.settings.user_agent)
        return max(self.source.delay, min(wanted, self.settings.max_crawl_delay))

    def _too_slow(self, url: str) -> bool:
        """Whether robots.txt asks for a Crawl-delay above the cap: then the host is
        skipped for this run (not waited on for hours while holding the crawl lock)."""
        host = host_of(url)
        if host in self.paused_hosts:
            return True
        wanted = self._rules(url).crawl_delay(self.settings.user_agent)
        if not self.crawler.polite or wanted <= self.settings.max_crawl_delay:
            return False
        log.warning(
            "%s asks for a Crawl-delay of %.0fs, above the cap of %.0fs: skipping it this run",
            host,
            wanted,
            self.settings.max_crawl_delay,
        )
        self.paused_hosts.add(host)
        self.report.counts["skipped:crawl_delay"] += 1
        self._note(
            f"{host} overgeslagen: Crawl-delay {wanted:.0f}s is meer dan "
            f"{self.settings.max_crawl_delay:.0f}s"
        )
        return True

    def _note(self, line: str) -> None:
        self.report.reason = f"{self.report.reason}; {line}" if self.report.reason else line

    def _robots_allow(self, url: str) -> bool:
        """robots.txt of `url`'s host permits it (asked for every redirect hop, inside
        the politeness slot of the request)."""
        rules = self.robots.rules_for(url, self.fetcher, in_slot=True)
        return rules.can_fetch(url, self.settings.user_agent)

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
                if self._too_slow(sm_url):
                    continue
                with self.gate.slot(host_of(sm_url), self._delay(sm_url)):
                    resp = self.fetcher.get(
                        sm_url, allow=self.source.wants, robots=self._robots_allow
                    )
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
        settled = self._settle_losses()
        if settled and not self.report.failed and not self.paused_hosts:
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

    # --- one page, in ordered steps: permit → download → status → parse → store ---

    def _visit(self, url: str, depth: int) -> None:
        if not self._permitted(url):
            return
        state = self.store.page_state(url)
        resp = self._download(url, state)
        if resp is None:
            return
        if resp.redirects:
            self.report.counts["redirects"] += 1
            self._drop(
                url,
                state,
                "redirect",
                http_status=301,
                error=f"redirects to {resp.url}",
                final_url=resp.url,
            )
            url = resp.url
            if not self.frontier.mark_seen(url) and url in self.reached:
                return
            state = self.store.page_state(url)
        self.reached.add(url)
        if self._by_status(url, depth, resp, state):
            return
        parsed = self._parse(url, resp, state)
        if parsed is not None:
            self._store_page(url, depth, resp, state, parsed)

    def _permitted(self, url: str) -> bool:
        """robots.txt (availability, rules, Crawl-delay) lets us request `url`."""
        report = self.report
        host = host_of(url)
        rules = self._rules(url)
        if rules.unsafe:
            report.error(url, "unsafe_address", rules.reason)
            return False
        if not rules.available:
            self.paused_hosts.add(host)
            report.failed = True
            report.reason = f"{host}: {rules.reason}"
            return False
        if not rules.can_fetch(url, self.settings.user_agent):
            self._refused_by_robots(url, "disallowed by robots.txt")
            return False
        return not self._too_slow(url)

    def _refused_by_robots(self, url: str, why: str) -> None:
        self.report.counts["robots_refused"] += 1
        state = self.store.page_state(url)
        if state is not None and state.status == "ok":
            self._drop(url, state, "gone", error=why)
            self.report.counts["gone"] += 1

    def _download(self, url: str, state) -> Response | None:
        """The response for `url` (redirects followed and checked), or None when the
        fetch failed (recorded; a transient failure keeps the stored document)."""
        source, store, report = self.source, self.store, self.report
        host = host_of(url)
        report.counts["fetched"] += 1
        try:
            with self.gate.slot(host, self._delay(url)):
                resp = self.fetcher.get(
                    url,
                    etag=state.etag if state else None,
                    last_modified=state.last_modified if state else None,
                    allow=source.wants,
                    robots=self._robots_allow,
                )
        except RobotsRedirect as exc:
            self.reached.add(url)
            self._refused_by_robots(url, str(exc))
            if state is None or state.status != "ok":
                store.mark_status(url, source.name, "skipped", error=str(exc))
            return None
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
            return None
        self.host_failures[host] = 0
        return resp

    def _by_status(self, url: str, depth: int, resp: Response, state) -> bool:
        """Handle every answer but a 200; True when the page is done."""
        source, store, report = self.source, self.store, self.report
        if resp.status == 304:
            if state is None or state.status not in ("ok", "listing"):
                report.error(url, "protocol", "304 for a page we do not have")
                return True
            report.counts["not_modified"] += 1
            report.counts["unchanged"] += 1
            store.mark_unchanged(url)
            self._enqueue_links(store.links(url), depth)
            return True
        if resp.status in (404, 410):
            had_doc = state is not None and state.status == "ok"
            self._drop(url, state, "gone", http_status=resp.status)
            report.counts["gone" if had_doc else "not_found"] += 1
            return True
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
            return True
        return False

    def _parse(self, url: str, resp: Response, state) -> Extracted | Document | None:
        """The extracted page (HTML) or document (PDF), or None when there is nothing
        to store (recorded)."""
        source, store, report = self.source, self.store, self.report
        ctype = resp.content_type
        robots_header = resp.headers.get("X-Robots-Tag", "")
        try:
            if ctype in ("text/html", "application/xhtml+xml") or (
                not ctype and resp.body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))
            ):
                return extract_html(
                    resp.body,
                    url,
                    source,
                    self.settings,
                    content_type_header=resp.headers.get("Content-Type", ""),
                    robots_header=robots_header,
                )
            if ctype == "application/pdf" or resp.body[:5] == b"%PDF-":
                if "noindex" in robots_header.lower():
                    self._drop(url, state, "noindex", http_status=200)
                    report.counts["noindex"] += 1
                    return None
                return extract_pdf(resp.body, url, source, self.settings)
            report.counts[f"skipped:type:{ctype or 'unknown'}"] += 1
            report.counts["skipped"] += 1
            self._drop(url, state, "skipped", http_status=200, error=f"content type {ctype}")
            return None
        except ExtractError as exc:
            report.error(url, exc.kind, str(exc))
            store.mark_status(
                url, source.name, "error", http_status=200, error=str(exc), keep_document=True
            )
            return None

    def _store_page(
        self, url: str, depth: int, resp: Response, state, parsed: Extracted | Document
    ) -> None:
        source, report = self.source, self.report
        etag = resp.headers.get("ETag")
        last_modified = resp.headers.get("Last-Modified")
        if isinstance(parsed, Document):  # a PDF: no links, no canonical
            self._save(parsed, resp, etag, last_modified, [], state)
            return
        links = parsed.links
        self._enqueue_links(links, depth)
        if parsed.canonical and parsed.canonical != url and source.wants(parsed.canonical):
            report.counts["duplicates:canonical"] += 1
            self._drop(
                url,
                state,
                "duplicate",
                http_status=200,
                error=f"canonical is {parsed.canonical}",
                links=links,
            )
            self.frontier.add(parsed.canonical, depth, front=True)
            return
        if parsed.noindex or parsed.document is None:
            report.counts["noindex"] += 1
            self._drop(
                url,
                state,
                "noindex",
                http_status=200,
                etag=etag,
                last_modified=last_modified,
                links=links,
            )
            return
        if source.is_follow_only(url):
            report.counts["listing"] += 1
            self._drop(
                url,
                state,
                "listing",
                http_status=200,
                etag=etag,
                last_modified=last_modified,
                links=links,
            )
            return
        self.health.saw(url, parsed)
        self._save(self.cross_page.clean(parsed.document), resp, etag, last_modified, links, state)

    def _save(self, doc, resp, etag, last_modified, links, state) -> None:
        store, report = self.store, self.report
        twin = store.known_hash(doc.content_hash, doc.url, ignore=self.losses)
        if twin is not None:
            report.counts["duplicates:content"] += 1
            self._drop(
                doc.url,
                store.page_state(doc.url),
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
        self.losses.pop(doc.url, None)
        if state is None or state.status != "ok":
            report.counts["new"] += 1
        elif changed:
            report.counts["changed"] += 1
        else:
            report.counts["unchanged"] += 1

    # --- losses: kept until the run shows they are plausible -------------------

    def _drop(self, url: str, state, status: str, **details) -> None:
        """Record that `url` yields no document now. A page that holds one keeps it
        until the end of the run (`_settle_losses`)."""
        if state is not None and state.status == "ok":
            self.store.mark_status(url, self.source.name, status, keep_document=True, **details)
            self.losses[url] = (status, details)
        else:
            self.store.mark_status(url, self.source.name, status, **details)

    def _settle_losses(self) -> bool:
        """Let this run's losses go, unless they are too many to be real: when more than
        `max_loss_share` of the source's documents would vanish or become duplicates
        (a maintenance page, a login wall, a soft 404 answering every URL), every
        document is kept and the source is marked suspicious. Returns False then."""
        settings = self.settings
        missing = []
        if not self.report.failed and not self.paused_hosts:
            missing = self.store.mark_missing(
                self.source.name, self.reached, settings.gone_after_missing_runs, dry_run=True
            )
        lost = len(set(self.losses) | set(missing))
        live = self.live_at_start
        if live >= settings.loss_check_minimum and lost > settings.max_loss_share * live:
            log.error(
                "source %s looks broken: %d of its %d documents would vanish or become "
                "duplicates; keeping them all",
                self.source.name,
                lost,
                live,
            )
            self.report.failed = True
            self.report.counts["suspicious"] = 1
            self._note(
                f"verdacht: {lost} van {live} documenten zouden verdwijnen of duplicaat worden "
                "(onderhoudspagina, loginmuur of soft 404?); alle documenten behouden"
            )
            return False
        for url, (status, details) in self.losses.items():
            self.store.mark_status(url, self.source.name, status, **details)
        return True
