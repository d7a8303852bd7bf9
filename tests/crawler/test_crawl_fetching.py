"""Fetching against a real loopback server with fault injection: robots.txt,
Crawl-delay, sitemaps, retries, Retry-After, timeouts, redirects, the size cap and
per-host politeness across sources."""

from __future__ import annotations

import gzip
import re
import threading
import time
from dataclasses import replace

import pytest
from conftest import BASE, FAST, HOST, page

from crawler.fetch import Fetcher, TooLarge
from crawler.politeness import HostGate


def _path_is(handler, path: str) -> bool:
    return handler.path.split("?")[0] == path


def test_robots_disallow_is_never_requested(site):
    site.file("/robots.txt", "User-agent: *\nDisallow: /geheim/\nAllow: /geheim/open\n")
    site.file("/", page("Home", links=("/geheim/plan", "/geheim/open", "/publiek")))
    site.file("/geheim/plan", page("Geheim plan"))
    site.file("/geheim/open", page("Open uitzondering"))
    site.file("/publiek", page("Publiek"))
    report = site.crawl()
    assert "/geheim/plan" not in site.paths()
    assert "/geheim/open" in site.paths()  # Allow: longest match wins (RFC 9309)
    assert f"{BASE}/publiek" in site.documents()
    assert report.sources["test"].counts["robots_refused"] == 1


def test_robots_5xx_means_host_not_crawled_now(site):
    site.mirror.override(
        lambda h: _path_is(h, "/robots.txt") and (h.send_body(503, b"", "text/plain") or True)
    )
    site.file("/", page("Home"))
    report = site.crawl()
    assert site.paths() == ["/robots.txt"] * (FAST.retries + 1)
    assert report.failed and "robots.txt" in report.sources["test"].reason


def test_robots_404_means_allowed(site):
    site.file("/", page("Home", links=("/doc",)))
    site.file("/doc", page("Document"))
    site.crawl()
    assert f"{BASE}/doc" in site.documents()


def test_crawl_delay_respected_between_two_pages(site):
    site.file("/robots.txt", "User-agent: *\nCrawl-delay: 0.6\n")
    site.file("/", page("Home", links=("/a", "/b")))
    site.file("/a", page("Pagina A"))
    site.file("/b", page("Pagina B"))
    times: dict[str, float] = {}

    def clock(handler) -> bool:
        times[handler.path] = time.monotonic()
        return False  # log only; the files answer

    site.mirror.override(clock)
    site.crawl([site.source(delay=0.1)])
    assert site.paths()[-3:] == ["/", "/a", "/b"]
    # Delay is max(source delay, Crawl-delay) between one request's end and the next start.
    assert times["/a"] - times["/"] >= 0.6 - 0.02
    assert times["/b"] - times["/a"] >= 0.6 - 0.02
    assert times["/b"] - times["/a"] < 0.6 + 2.0


def test_sitemap_only_page_via_robots_index_and_gzip(site):
    site.file("/robots.txt", f"User-agent: *\nSitemap: {BASE}/sitemap_index.xml\n")
    site.file(
        "/sitemap_index.xml",
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{BASE}/sitemap-1.xml.gz</loc></sitemap></sitemapindex>",
    )
    urlset = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{BASE}/oud</loc><lastmod>2019-01-01</lastmod></url>"
        f"<url><loc>{BASE}/verborgen</loc><lastmod>2024-05-01</lastmod></url></urlset>"
    )
    site.file("/sitemap-1.xml.gz", gzip.compress(urlset.encode()))
    site.file("/", page("Home"))  # links to neither page
    site.file("/verborgen", page("Alleen in de sitemap"))
    site.file("/oud", page("Oude pagina"))
    report = site.crawl()
    docs = site.documents()
    assert f"{BASE}/verborgen" in docs and f"{BASE}/oud" in docs
    assert report.sources["test"].counts["sitemap_urls"] == 2
    # lastmod decides the order: the recently modified page is fetched first.
    paths = site.paths()
    assert paths.index("/verborgen") < paths.index("/oud")


def test_500_then_200_is_retried(site):
    site.file("/", page("Home", links=("/wankel",)))
    site.file("/wankel", page("Wankele pagina"))
    hits = []

    def flaky(handler) -> bool:
        if _path_is(handler, "/wankel"):
            hits.append(time.monotonic())
            if len(hits) == 1:
                handler.send_body(500, b"oeps", "text/plain")
                return True
        return False

    site.mirror.override(flaky)
    report = site.crawl()
    assert len(hits) == 2
    assert f"{BASE}/wankel" in site.documents()
    assert report.sources["test"].counts["errors"] == 0


def test_429_with_retry_after_is_waited(site):
    site.file("/", page("Home", links=("/druk",)))
    site.file("/druk", page("Drukke pagina"))
    hits = []

    def busy(handler) -> bool:
        if _path_is(handler, "/druk"):
            hits.append(time.monotonic())
            if len(hits) == 1:
                handler.send_body(429, b"", "text/plain", {"Retry-After": "1"})
                return True
        return False

    site.mirror.override(busy)
    site.crawl()
    assert len(hits) == 2
    assert hits[1] - hits[0] >= 1.0 - 0.02  # Retry-After beats the 0.05 s backoff
    assert f"{BASE}/druk" in site.documents()


def test_timeout_is_reported_and_bounded(site):
    site.file("/", page("Home", links=("/traag", "/snel")))
    site.file("/snel", page("Snelle pagina"))
    release = threading.Event()

    def slow(handler) -> bool:
        if _path_is(handler, "/traag"):
            release.wait(3)
            return True  # never answers within the timeout
        return False

    site.mirror.override(slow)
    settings = replace(FAST, timeout=0.3, retries=1)
    started = time.monotonic()
    report = site.crawl(settings=settings)
    release.set()
    counts = report.sources["test"].counts
    assert counts["error:timeout"] == 1
    assert f"{BASE}/snel" in site.documents()
    assert time.monotonic() - started < 3


def test_failing_host_is_paused_for_the_run(site):
    links = tuple(f"/stuk/{i}" for i in range(10))
    site.file("/", page("Home", links=links))
    site.mirror.override(
        lambda h: h.path.startswith("/stuk/") and (h.send_body(502, b"", "text/plain") or True)
    )
    report = site.crawl()
    rep = report.sources["test"]
    assert rep.failed and "paused" in rep.reason
    assert rep.counts["error:server_error"] == FAST.max_host_failures
    requested = [p for p in site.paths() if p.startswith("/stuk/")]
    assert len(requested) == FAST.max_host_failures * (FAST.retries + 1)


def test_redirect_loop_is_stopped(site):
    site.file("/", page("Home", links=("/lus/a",)))
    (site.root / HOST / "_redirects").write_text("/lus/a /lus/b 301\n/lus/b /lus/a 302\n")
    report = site.crawl()
    counts = report.sources["test"].counts
    assert counts["error:redirect"] == 1
    assert site.paths().count("/lus/a") == 1 and site.paths().count("/lus/b") == 1


def test_redirect_is_followed_and_stored_under_target(site):
    site.file("/", page("Home", links=("/oud-adres",)))
    site.file("/nieuw-adres", page("Verhuisde pagina"))
    (site.root / HOST / "_redirects").write_text("/oud-adres /nieuw-adres 301\n")
    site.crawl()
    assert set(site.documents()) == {f"{BASE}/nieuw-adres"}


def test_response_over_20_mb_is_cut_off(site):
    sent = []

    def huge(handler) -> bool:
        if not _path_is(handler, "/groot.html"):
            return False
        size = 21 * 1024 * 1024
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(size // len(chunk)):
                handler.wfile.write(chunk)
                sent.append(len(chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        return True

    site.mirror.override(huge)
    site.file("/", page("Home", links=("/groot.html",)))
    report = site.crawl()
    assert report.sources["test"].counts["error:too_large"] == 1
    fetcher = Fetcher(FAST, route=site.mirror.url)
    with pytest.raises(TooLarge):
        fetcher.get(f"{BASE}/groot.html")
    fetcher.close()
    assert FAST.max_bytes == 20 * 1024 * 1024


def test_identifying_user_agent_is_sent(site):
    site.file("/", page("Home"))
    site.crawl()
    agents = {r.headers.get("User-Agent") for r in site.mirror.requests}
    assert agents == {FAST.user_agent}
    assert "+https://" in FAST.user_agent


def test_two_sources_sharing_a_host_never_hit_it_concurrently(site):
    links_a = tuple(f"/a/{i}" for i in range(6))
    links_b = tuple(f"/b/{i}" for i in range(6))
    site.file("/", page("Home", links=links_a + links_b))
    for link in links_a + links_b:
        site.file(link, page(f"Pagina {link}"))
    active = []
    overlap = []
    lock = threading.Lock()

    def watch(handler) -> bool:
        with lock:
            active.append(1)
            if len(active) > 1:
                overlap.append(handler.path)
        time.sleep(0.02)
        with lock:
            active.pop()
        return False

    site.mirror.override(watch)

    one = site.source("een", include=(re.compile(r"/(a/.*)?$"),))
    two = site.source("twee", include=(re.compile(r"/(b/.*)?$"),))
    assert one.allows_host(HOST) and two.allows_host(HOST)  # one host, two sources
    report = site.crawl([one, two])
    assert not overlap
    assert len(site.documents()) == 12
    assert not report.failed


def test_host_gate_serialises_one_host_and_spaces_requests():
    gate = HostGate()
    starts: list[float] = []

    def worker() -> None:
        with gate.slot("x.example", 0.1):
            starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    starts.sort()
    assert all(b - a >= 0.1 - 0.01 for a, b in zip(starts, starts[1:], strict=False))
