"""The crawler against a hostile loopback site (tests/round2/hostile.py): robots.txt on
every redirect hop and on dot-segment paths, a server that trickles its headers, an
absurd Crawl-delay, links to private addresses, and a site that answers every URL with
one maintenance page, a login wall or a soft 404. Every crawl is bounded in time (the
hanging cases run as a `kennisbank crawl` subprocess with a timeout) and in pages."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests

from crawler.addresses import AddressPolicy, PrivateAddress
from crawler.config import CrawlSettings, Source
from crawler.connections import Deadline, GuardedAdapter
from crawler.crawl import Crawler
from crawler.store import CrawlStore

from .helpers import run_cli
from .hostile import ConnectionCounter, HostileSite, page, send, trickle_headers

SETTINGS = CrawlSettings(timeout=1.0, retries=0, backoff=0.01, max_host_failures=50)


def _source(site: HostileSite, **overrides) -> Source:
    values = {
        "name": "vijandig",
        "title": "Vijandig",
        "start_urls": (f"{site.url}/",),
        "allowed_domains": ("127.0.0.1",),
        "delay": 0.0,
        "max_pages": 60,
        "max_depth": 3,
        "follow_only": (re.compile(r"^https?://[^/]+/$"),),
        **overrides,
    }
    return Source(**values)


def _crawl(site: HostileSite, data_dir: Path, source: Source | None = None, **crawler_args):
    crawler_args.setdefault("assume_public", {("127.0.0.1", site.port)})
    crawler = Crawler(
        data_dir / "crawl.sqlite", SETTINGS, polite=False, progress=False, **crawler_args
    )
    source = source or _source(site)
    return crawler.run([source]).sources[source.name]


def _documents(data_dir: Path) -> dict:
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        return {d.url: d for d in store.documents()}


@pytest.fixture
def site():
    with HostileSite() as server:
        yield server


# --- robots.txt on every URL actually requested -----------------------------------


def test_robots_applies_to_a_redirect_target(site, tmp_path):
    site.static("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.static("/", page("Start", links=("/go-private", "/open")))
    site.static("/open", page("Open"))
    site.routes["/go-private"] = lambda h: send(h, 302, Location="/private/secret")
    site.static("/private/secret", page("Geheim"))
    report = _crawl(site, tmp_path)
    assert "/private/secret" not in site.requests
    assert not any("/private/" in url for url in _documents(tmp_path))
    assert f"{site.url}/open" in _documents(tmp_path)
    assert report.counts["robots_refused"] >= 1


def test_robots_applies_after_dot_segments_are_resolved(site, tmp_path):
    site.static("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.static("/", page("Start", links=("/x/%2e%2e/private/g", "/x/../private/h", "/x/../open")))
    site.static("/open", page("Open"))
    site.static("/private/g", page("Geheim g"))
    site.static("/private/h", page("Geheim h"))
    _crawl(site, tmp_path)
    assert not any("private" in path for path in site.requests)
    docs = _documents(tmp_path)
    assert not any(".." in url or "private" in url for url in docs)
    assert f"{site.url}/open" in docs


# --- the address check on every connection ----------------------------------------


def test_links_to_private_addresses_are_never_connected_to(site, tmp_path):
    with ConnectionCounter() as internal:
        port = internal.port
        targets = [
            f"http://localhost:{port}/leak",
            f"http://127.0.0.2:{port}/leak",
            f"http://[::1]:{port}/leak",
            f"http://[::ffff:127.0.0.1]:{port}/leak",
            f"http://0.0.0.0:{port}/leak",
            f"http://2130706433:{port}/leak",  # 127.0.0.1, decimal
            f"http://0177.0.0.1:{port}/leak",  # 127.0.0.1, octal
            "http://169.254.169.254/latest/meta-data/",
        ]
        site.static("/", page("Start", links=(*targets, "/open")))
        site.static("/open", page("Open"))
        allowed = ("127.0.0.1", "localhost", "127.0.0.2", "::1", "::ffff:127.0.0.1",
                   "0.0.0.0", "2130706433", "0177.0.0.1", "169.254.169.254")  # fmt: skip
        started = time.monotonic()
        report = _crawl(site, tmp_path, _source(site, allowed_domains=allowed))
        assert time.monotonic() - started < 20
        assert internal.accepted == 0
    docs = _documents(tmp_path)
    assert list(docs) == [f"{site.url}/open"]
    assert report.counts["error:unsafe_address"] >= len(targets) - 1  # localhost: v4 and v6


def test_the_start_page_itself_is_checked(site, tmp_path):
    site.static("/", page("Start", links=("/open",)))
    report = _crawl(site, tmp_path, assume_public=frozenset())
    assert site.requests == []
    assert report.counts["error:unsafe_address"] == 1
    assert "non-public" in report.errors[0]["message"]


class _Rebound(AddressPolicy):
    """A policy whose name check passed: the DNS answer was public when asked."""

    def check_name(self, host: str, port: int) -> None:
        return None


def test_the_address_actually_connected_to_is_checked(site):
    """DNS rebinding: the name resolved to a public address when it was checked and to
    a private one when the connection was made. The peer address is checked too."""
    site.static("/", page("Start"))
    session = requests.Session()
    session.mount("http://", GuardedAdapter(_Rebound(), Deadline()))
    with pytest.raises(PrivateAddress, match="connected to a non-public address"):
        session.get(f"{site.url}/", timeout=2)
    session.close()
    assert site.requests == []


# --- one wall-clock deadline per request; Crawl-delay capped (subprocess: on a
# --- crawler without them these runs would hang, so the timeout ends them) --------


def _sources_file(tmp_path: Path, site: HostileSite, **crawler: object) -> Path:
    settings = "\n".join(f"{k} = {v!r}" for k, v in crawler.items())
    path = tmp_path / "sources.toml"
    path.write_text(
        f"""[crawler]
timeout = 1.0
retries = 0
backoff = 0.01
{settings}

[[sources]]
name = "vijandig"
title = "Vijandig"
start_urls = ["{site.url}/"]
allowed_domains = ["127.0.0.1"]
follow_only = ['^https?://[^/]+/$']
allow_private_addresses = true
delay = 0.0
max_pages = 20
""",
        encoding="utf-8",
    )
    return path


def test_trickled_headers_meet_the_deadline_and_free_the_lock(site, tmp_path):
    site.static("/", page("Start", links=("/slow", "/open")))
    site.static("/open", page("Open"))
    site.routes["/slow"] = trickle_headers
    sources = _sources_file(tmp_path, site)
    data = tmp_path / "data"
    started = time.monotonic()
    done = run_cli("crawl", "--sources", str(sources), "--data-dir", str(data),
                   "--no-index", timeout=60)  # fmt: skip
    took = time.monotonic() - started
    assert took < 15, f"the crawl took {took:.0f}s"
    assert "timeout" in done.stdout + done.stderr
    assert f"{site.url}/open" in _documents(data)
    again = run_cli("crawl", "--sources", str(sources), "--data-dir", str(data),
                    "--no-index", timeout=60)  # fmt: skip
    assert "another crawl" not in again.stderr


def test_an_absurd_crawl_delay_skips_the_host_and_says_so(site, tmp_path):
    site.static("/robots.txt", b"User-agent: *\nCrawl-delay: 86400\n", content_type="text/plain")
    site.static("/", page("Start", links=("/a", "/b")))
    site.static("/a", page("A"))
    site.static("/b", page("B"))
    sources = _sources_file(tmp_path, site, max_crawl_delay=5.0)
    started = time.monotonic()
    done = run_cli("crawl", "--sources", str(sources), "--data-dir", str(tmp_path / "data"),
                   "--no-index", timeout=60)  # fmt: skip
    assert time.monotonic() - started < 20
    assert "Crawl-delay 86400s" in done.stdout
    assert site.requests == ["/robots.txt"]


# --- a site that answers every URL the same way -----------------------------------

PAGES = [f"/artikel-{i}" for i in range(20)]


def _healthy(site: HostileSite) -> None:
    sitemap = "".join(f"<url><loc>{site.url}{p}</loc></url>" for p in PAGES)
    site.static(
        "/sitemap.xml",
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{sitemap}</urlset>".encode(),
        content_type="application/xml",
    )
    site.static("/", page("Start"))
    for path in PAGES:
        site.static(path, page(f"Artikel {path[-2:]}"))


def _every_url(site: HostileSite, respond) -> None:
    for path in ["/", *PAGES]:
        site.routes[path] = respond


MAINTENANCE = page("Onderhoud", "Deze website is tijdelijk in onderhoud. Kom later terug, dan "
                   "vindt u hier opnieuw alle informatie over jeugdbeleid.")  # fmt: skip
BROKEN = {
    "maintenance": lambda h: send(h, 200, MAINTENANCE),
    "login wall": lambda h: (
        send(h, 302, Location="/login")
        if h.path != "/login"
        else send(h, 200, page("Aanmelden", "Meld u aan om verder te gaan naar het intranet."))
    ),
    "soft 404": lambda h: send(h, 404, b"<h1>Niet gevonden</h1>"),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_site_answering_every_url_the_same_keeps_its_documents(site, tmp_path, kind):
    _healthy(site)
    source = _source(site, sitemaps=(f"{site.url}/sitemap.xml",))
    first = _crawl(site, tmp_path, source)
    assert first.counts["new"] == len(PAGES) and not first.failed
    before = _documents(tmp_path)
    _every_url(site, BROKEN[kind])
    site.routes["/login"] = BROKEN["login wall"]
    report = _crawl(site, tmp_path, source)
    assert report.failed and report.counts["suspicious"] == 1
    assert "verdacht" in report.reason
    after = _documents(tmp_path)
    kept = [url for url in before if url in after and after[url].text == before[url].text]
    assert len(kept) >= len(PAGES) - 1  # at most the first page took the new content


def test_a_few_pages_going_away_still_go(site, tmp_path):
    _healthy(site)
    source = _source(site, sitemaps=(f"{site.url}/sitemap.xml",))
    _crawl(site, tmp_path, source)
    for path in PAGES[:3]:
        site.routes[path] = lambda h: send(h, 404, b"weg")
    report = _crawl(site, tmp_path, source)
    assert not report.failed and report.counts["gone"] == 3
    assert len(_documents(tmp_path)) == len(PAGES) - 3


def test_the_cli_exits_1_with_a_report_line_for_a_suspicious_source(site, tmp_path):
    _healthy(site)
    sitemap = f"{site.url}/sitemap.xml"
    sources = _sources_file(tmp_path, site)
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text.replace("max_pages = 20", f'max_pages = 60\nsitemaps = ["{sitemap}"]'))
    data = tmp_path / "data"
    args = ("crawl", "--sources", str(sources), "--data-dir", str(data), "--no-index")
    ok = run_cli(*args)
    assert ok.returncode == 0, ok.stderr
    _every_url(site, BROKEN["maintenance"])
    bad = run_cli(*args)
    assert bad.returncode == 1
    assert "verdacht" in bad.stdout
    assert len(_documents(data)) == len(PAGES)
