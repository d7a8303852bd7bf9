"""The SSRF guard: a public source's redirects never lead the crawler to a loopback,
private or link-local address, nor to file: or ftp: URLs; a source that is allowed
private addresses (the bundled mirror, an intranet site) still follows them.

Two real loopback servers: the "public" site, and an "internal" one on another port
that must never see a request from a public source's crawl.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.config import CrawlSettings, Source, load_sources
from crawler.crawl import Crawler
from crawler.mirror import MirrorServer
from crawler.store import CrawlStore

SETTINGS = CrawlSettings(timeout=2.0, retries=0, backoff=0.01, max_host_failures=50)
PAGE = (
    '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>{t}</title></head>'
    "<body><main><h1>{t}</h1><p>Tekst over jeugdraden, speelpleinen en kinderen in de "
    "stad, lang genoeg om een document te zijn.</p></main></body></html>"
)


def _html(handler, status: int, body: str, headers: dict | None = None) -> None:
    data = body.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(data)


class Servers:
    def __init__(self, public: MirrorServer, internal: MirrorServer, data_dir: Path) -> None:
        self.public, self.internal, self.data_dir = public, internal, data_dir
        self.redirects: dict[str, str] = {}
        public.override(self._public)
        internal.override(self._internal)

    @property
    def public_base(self) -> str:
        return self.public.url

    def _public(self, handler) -> bool:
        path = handler.path.split("?")[0]
        if path == "/":
            links = "".join(f'<a href="{p}">{p}</a> ' for p in [*self.redirects, "/goed"])
            _html(handler, 200, f"<html><body><nav>{links}</nav></body></html>")
        elif path == "/goed":
            _html(handler, 200, PAGE.format(t="Goed"))
        elif path in self.redirects:
            _html(handler, 302, "", {"Location": self.redirects[path]})
        else:
            return False
        return True

    def _internal(self, handler) -> bool:
        _html(handler, 200, PAGE.format(t="Intern geheim"))
        return True

    def source(self, allowed: tuple[str, ...], **overrides) -> Source:
        return Source(
            name="publiek",
            title="Publiek",
            start_urls=(f"{self.public_base}/",),
            allowed_domains=allowed,
            delay=0.0,
            max_pages=20,
            max_depth=2,
            follow_only=(re.compile(r"^https?://[^/]+/$"),),
            **overrides,
        )

    def crawl(self, source: Source, **crawler_args):
        # The "public" server stands in for a public site: only its port counts as
        # public; every other loopback port (the internal server) stays refused.
        crawler_args.setdefault("assume_public", {("127.0.0.1", _port(self.public))})
        crawler = Crawler(
            self.data_dir / "crawl.sqlite", SETTINGS, polite=False, progress=False, **crawler_args
        )
        return crawler.run([source]).sources[source.name]

    def internal_hits(self) -> int:
        return len(self.internal.requests)

    def documents(self) -> dict[str, object]:
        with CrawlStore(self.data_dir / "crawl.sqlite") as store:
            return {d.url: d for d in store.documents()}


@pytest.fixture
def servers(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with MirrorServer(empty) as public, MirrorServer(empty) as internal:
        yield Servers(public, internal, tmp_path / "data")


def _port(server: MirrorServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_redirect_to_another_loopback_port_is_refused(servers):
    servers.redirects["/weg"] = f"{servers.internal.url}/geheim"
    report = servers.crawl(servers.source(("127.0.0.1",)))
    assert servers.internal_hits() == 0
    assert report.counts["error:unsafe_redirect"] == 1
    assert any("non-public" in e["message"] for e in report.errors)
    # the crawl went on
    assert f"{servers.public_base}/goed" in servers.documents()


@pytest.mark.parametrize(
    "target, allowed",
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://localhost:{internal}/geheim", "localhost"),
        ("http://[::1]:{internal}/geheim", "::1"),
        ("http://[::ffff:127.0.0.1]:{internal}/geheim", "::ffff:127.0.0.1"),
        ("http://10.0.0.1/admin", "10.0.0.1"),
        ("http://0.0.0.0:{internal}/", "0.0.0.0"),
    ],
)
def test_redirect_to_private_addresses_refused_even_inside_allowed_domains(
    servers, target, allowed
):
    servers.redirects["/weg"] = target.format(internal=_port(servers.internal))
    report = servers.crawl(servers.source(("127.0.0.1", allowed)))
    assert servers.internal_hits() == 0
    assert report.counts["error:unsafe_redirect"] == 1


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/pub/x", "gopher://x/"])
def test_redirect_to_other_schemes_refused(servers, target):
    servers.redirects["/weg"] = target
    report = servers.crawl(servers.source(("127.0.0.1",)))
    assert report.counts["error:redirect"] == 1
    assert any("scheme" in e["message"] for e in report.errors)
    assert not any(url.startswith(("file:", "ftp:")) for url in servers.documents())


def test_source_allowed_private_addresses_follows_the_redirect(servers):
    servers.redirects["/weg"] = f"{servers.internal.url}/geheim"
    report = servers.crawl(servers.source(("127.0.0.1",), allow_private=True))
    assert servers.internal_hits() >= 1
    assert report.counts["error:unsafe_redirect"] == 0
    assert f"{servers.internal.url}/geheim" in servers.documents()


def test_run_level_switch_allows_private_addresses(servers):
    servers.redirects["/weg"] = f"{servers.internal.url}/geheim"
    report = servers.crawl(servers.source(("127.0.0.1",)), allow_private=True)
    assert report.counts["error:unsafe_redirect"] == 0
    assert servers.internal_hits() >= 1


def test_routed_crawl_refuses_when_told_to(servers):
    """A route allows private addresses by default (the mirror is on 127.0.0.1); a run
    that says allow_private=False checks where the routed connection really goes."""
    servers.redirects["/weg"] = "http://partner.example/elders"
    source = Source(
        name="publiek",
        title="Publiek",
        start_urls=("http://partner.example/",),
        allowed_domains=("partner.example",),
        delay=0.0,
        max_pages=20,
        follow_only=(re.compile(r"^https?://[^/]+/$"),),
    )
    report = servers.crawl(
        source, route=servers.public.url, allow_private=False, assume_public=frozenset()
    )
    assert len(servers.public.requests) == 0  # not even robots.txt
    assert report.counts["error:unsafe_address"] == 1
    routed = servers.crawl(source, route=servers.public.url)
    assert routed.counts["error:unsafe_redirect"] == 0


def test_sources_file_switch(tmp_path):
    path = tmp_path / "sources.toml"
    text = (
        '[[sources]]\nname = "intranet"\ntitle = "Intranet"\n'
        'start_urls = ["http://10.0.0.5/"]\nallowed_domains = ["10.0.0.5"]\n'
    )
    path.write_text(text + "allow_private_addresses = true\n")
    assert load_sources(path).get("intranet").allow_private is True
    path.write_text(text)
    assert load_sources(path).get("intranet").allow_private is False
