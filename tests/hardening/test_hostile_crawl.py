"""The crawler fed hostile pages by a real loopback server: each one is bounded in time
and memory, recorded as an error (or skipped), and the crawl goes on to the next page.

SIGKILL during a crawl, at several kill points, is tested in
tests/crawler/test_crawl_runs.py (test_sigkill_mid_crawl_then_resume_without_refetching).
"""

from __future__ import annotations

import gzip
import re
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from crawler.config import CrawlSettings, Source
from crawler.crawl import Crawler
from crawler.mirror import MirrorServer
from crawler.store import CrawlStore

HOST = "hostile.example"
BASE = f"http://{HOST}"
SETTINGS = CrawlSettings(
    timeout=1.0, retries=0, backoff=0.01, max_bytes=4 * 1024 * 1024, max_host_failures=50
)
GOOD = (
    '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>{t}</title></head>'
    "<body><main><h1>{t}</h1><p>Een gewone pagina over jeugdraden en speelpleinen in "
    "de gemeente, met genoeg tekst om als document te tellen.</p></main></body></html>"
)


def _send(handler, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    try:
        handler.wfile.write(body)
    except OSError:  # the crawler hung up on a body it did not want: as it should
        pass


def _gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed (about 1,000:1), built without holding them."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1024 * 1024)
    out = [comp.compress(chunk) for _ in range(size // len(chunk))]
    out.append(comp.flush())
    return b"".join(out)


def _huge_sitemap(count: int) -> bytes:
    """A gzipped sitemap of `count` URLs, streamed through the compressor."""
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    parts = [comp.compress(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/x">')]
    batch = 10_000
    for start in range(0, count, batch):
        text = "".join(f"<url><loc>{BASE}/{i}</loc></url>" for i in range(start, start + batch))
        parts.append(comp.compress(text.encode()))
    parts.append(comp.compress(b"</urlset>"))
    parts.append(comp.flush())
    return b"".join(parts)


def _trickle(handler) -> None:
    """Promises a megabyte, then sends one byte every 50 ms, forever (until the
    client hangs up, or 30 s at most so the server thread always ends)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(1024 * 1024))
    handler.end_headers()
    ends = time.monotonic() + 30
    try:
        handler.wfile.write(b"<html><body><p>")
        handler.wfile.flush()
        while time.monotonic() < ends:
            handler.wfile.write(b"a")
            handler.wfile.flush()
            time.sleep(0.05)
    except OSError:
        pass
    handler.close_connection = True


class HostileSite:
    """A tiny site whose home page links to every hostile page and to good pages."""

    def __init__(self, root: Path, mirror: MirrorServer, data_dir: Path) -> None:
        self.root, self.mirror, self.data_dir = root, mirror, data_dir
        self.pages: dict[str, object] = {}
        mirror.override(self._answer)

    def _answer(self, handler) -> bool:
        path = handler.path.split("?")[0]
        answer = self.pages.get(path)
        if answer is None:
            return False
        if callable(answer):
            answer(handler)
        else:
            _send(handler, *answer)
        return True

    def serve(self, path: str, answer) -> None:
        self.pages[path] = answer

    def home(self, links: list[str]) -> None:
        items = "".join(f'<a href="{link}">{link}</a> ' for link in links)
        body = f"<html><body><nav>{items}</nav></body></html>".encode()
        self.serve("/", (200, body, "text/html; charset=utf-8"))
        for name in ("/goed-1", "/goed-2"):
            self.serve(name, (200, GOOD.format(t=name).encode(), "text/html; charset=utf-8"))

    def source(self, **overrides) -> Source:
        values = {
            "name": "hostile",
            "title": "Hostile",
            "start_urls": (f"{BASE}/",),
            "allowed_domains": (HOST,),
            "delay": 0.0,
            "max_pages": 40,
            "max_depth": 2,
            "follow_only": (re.compile(r"^https?://[^/]+/$"),),
            **overrides,
        }
        return Source(**values)

    def crawl(self, **overrides):
        crawler = Crawler(
            self.data_dir / "crawl.sqlite",
            SETTINGS,
            route=self.mirror.url,
            polite=False,
            progress=False,
        )
        return crawler.run([self.source(**overrides)])

    def status(self, path: str) -> str | None:
        with CrawlStore(self.data_dir / "crawl.sqlite") as store:
            state = store.page_state(BASE + path)
        return state.status if state else None


@pytest.fixture
def hostile(tmp_path):
    root = tmp_path / "sites"
    (root / HOST).mkdir(parents=True)
    with MirrorServer(root) as server:
        yield HostileSite(root, server, tmp_path / "data")


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/self/status")


def _bounded_crawl(hostile: HostileSite, seconds: float, megabytes: int, **overrides):
    """Crawl, asserting the wall time and the peak memory: the process's peak RSS (C
    allocations by lxml and zlib included) where the kernel lets us reset it, else
    the peak of Python allocations (tracemalloc, slower)."""
    kernel = _reset_peak_rss()
    before = _peak_rss() if kernel else 0
    if not kernel:
        tracemalloc.start()
    started = time.monotonic()
    try:
        report = hostile.crawl(**overrides)
        peak = _peak_rss() - before if kernel else tracemalloc.get_traced_memory()[1]
    finally:
        if not kernel:
            tracemalloc.stop()
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"crawl took {elapsed:.1f}s"
    assert peak < megabytes * 1024 * 1024, f"peak memory grew by {peak / 1e6:.0f} MB"
    return report.sources["hostile"]


def _assert_went_on(hostile: HostileSite) -> None:
    assert hostile.status("/goed-1") == "ok"
    assert hostile.status("/goed-2") == "ok"


HOSTILE_PAGES = {
    # 6 MB in one line, no newline anywhere: larger than max_bytes (4 MB).
    "/gigantische-regel": lambda: (200, b"<p>" + b"x" * (6 * 1024 * 1024), "text/html"),
    # 3 MB in one line, under the cap: must be extracted (or refused) in bounded time.
    "/lange-regel": lambda: (
        200,
        b"<html><body><p>" + b"jeugdraad " * 300_000 + b"</p></body></html>",
        "text/html; charset=utf-8",
    ),
    "/diep-genest": lambda: (
        200,
        b"<html><body>" + b"<div>" * 100_000 + b"diep" + b"</div>" * 100_000 + b"</body></html>",
        "text/html; charset=utf-8",
    ),
    "/gzip-bom": lambda: (
        200,
        _gzip_bomb(256 * 1024 * 1024),
        "text/html; charset=utf-8",
        {"Content-Encoding": "gzip"},
    ),
    "/binair": lambda: (200, bytes(range(256)) * 2048, "text/html"),
    "/charset-onzin": lambda: (
        200,
        b'<html><head><meta charset="utf-9000"></head><body><p>caf\xe9 '
        b"jeugdwerk en speelpleinwerking in de stad</p></body></html>",
        "text/html; charset=x-no-such-charset",
    ),
    "/charset-leeg": lambda: (
        200,
        GOOD.format(t="leeg").encode(),
        "text/html; charset=",
    ),
}
LIMITS = {
    "/gigantische-regel": "too_large",
    "/gzip-bom": "too_large",
    "/binair": "binary",
    "/diep-genest": "extract",
}


@pytest.mark.parametrize("path", sorted(HOSTILE_PAGES))
def test_hostile_page_is_bounded_and_crawl_goes_on(hostile, path):
    hostile.serve(path, HOSTILE_PAGES[path]())
    hostile.home([path, "/goed-1", "/goed-2"])
    report = _bounded_crawl(hostile, seconds=45, megabytes=200)
    _assert_went_on(hostile)
    status = hostile.status(path)
    assert status in ("ok", "error", "noindex", "skipped"), status
    if path in LIMITS:
        assert status == "error"
        assert report.counts[f"error:{LIMITS[path]}"] == 1
    if status == "error":
        assert any(e["url"] == BASE + path for e in report.errors)
    assert report.counts["error:internal"] == 0


def test_page_that_never_finishes_is_cut_off(hostile):
    hostile.serve("/druppel", _trickle)
    hostile.home(["/druppel", "/goed-1", "/goed-2"])
    report = _bounded_crawl(hostile, seconds=30, megabytes=100)
    _assert_went_on(hostile)
    assert hostile.status("/druppel") == "error"
    assert report.counts["error:timeout"] == 1


def test_sitemap_of_a_million_urls(hostile):
    body = _huge_sitemap(1_000_000)
    hostile.serve("/sitemap.xml.gz", (200, body, "application/gzip"))
    hostile.home(["/goed-1", "/goed-2"])
    report = _bounded_crawl(
        hostile, seconds=60, megabytes=400, sitemaps=(f"{BASE}/sitemap.xml.gz",), max_pages=30
    )
    # Parsing stops at the cap, the frontier at max_pages, and the crawl ends normally.
    assert hostile.status("/") == "listing"
    assert 0 < report.counts["sitemap_urls"] <= 50_000
    assert report.counts["fetched"] <= 30
    assert not report.failed


def test_plain_sitemap_larger_than_the_cap_is_an_error(hostile):
    body = gzip.decompress(_huge_sitemap(200_000))  # about 9 MB of XML, over max_bytes
    hostile.serve("/sitemap.xml", (200, body, "application/xml"))
    hostile.home(["/goed-1", "/goed-2"])
    report = _bounded_crawl(hostile, seconds=45, megabytes=200, sitemaps=(f"{BASE}/sitemap.xml",))
    _assert_went_on(hostile)
    assert report.counts["error:too_large"] == 1


def test_robots_txt_of_ten_megabytes(hostile):
    lines = b"".join(b"Disallow: /verboden-%d\n" % i for i in range(600_000))[: 10 * 1024 * 1024]
    hostile.serve("/robots.txt", (200, b"User-agent: *\n" + lines, "text/plain"))
    hostile.home(["/goed-1", "/goed-2"])
    # Over max_bytes the robots.txt fetch fails: the host is not crawled now (RFC 9309
    # says an unreachable robots.txt means "do not crawl"), and that is reported.
    report = _bounded_crawl(hostile, seconds=45, megabytes=200)
    assert report.failed and "robots.txt" in report.reason


def test_robots_txt_just_under_the_size_cap_is_cut_and_obeyed(hostile):
    head = b"User-agent: *\nDisallow: /verboden\n"
    filler = b"".join(b"Disallow: /x-%d\n" % i for i in range(200_000))[: 3 * 1024 * 1024]
    hostile.serve("/robots.txt", (200, head + filler, "text/plain"))
    hostile.serve("/verboden", (200, GOOD.format(t="verboden").encode(), "text/html"))
    hostile.home(["/verboden", "/goed-1", "/goed-2"])
    report = _bounded_crawl(hostile, seconds=45, megabytes=200)
    _assert_went_on(hostile)
    assert hostile.status("/verboden") is None
    assert report.counts["robots_refused"] >= 1
