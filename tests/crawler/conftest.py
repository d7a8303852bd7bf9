"""Fixtures for the crawler tests: a tiny site of our own, written into a tmp folder,
served by the real mirror server on 127.0.0.1 (with fault injection through
`MirrorServer.override`), and crawled by the real crawler into a real crawl store."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from crawler.config import CrawlSettings, Source
from crawler.crawl import Crawler, RunReport
from crawler.mirror import MirrorServer
from crawler.store import CrawlStore

HOST = "test.example"
BASE = f"http://{HOST}"

# Short waits everywhere: tests never mock time, they make it small.
FAST = CrawlSettings(
    timeout=2.0, retries=2, backoff=0.05, max_host_failures=3, gone_after_missing_runs=2
)


def page(title: str, body: str = "", links: tuple[str, ...] = (), head: str = "") -> str:
    """A small but complete HTML page with navigation, a main container and a footer."""
    items = "".join(f'<li><a href="{html.escape(u)}">{html.escape(u)}</a></li>' for u in links)
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} | Test</title>{head}</head><body>"
        '<nav><a href="/">Home</a> Menu navigatie</nav>'
        f"<main><h1>{html.escape(title)}</h1><p>{body or 'Tekst over ' + title}</p>"
        f"<ul>{items}</ul></main>"
        "<footer>Adres Teststraat 1, 1000 Brussel</footer></body></html>"
    )


class Site:
    """One test site under `root/<host>/`, a source for it, and a crawler for it."""

    def __init__(self, root: Path, mirror: MirrorServer, data_dir: Path) -> None:
        self.root = root
        self.mirror = mirror
        self.data_dir = data_dir
        self.store_path = data_dir / "crawl.sqlite"

    def file(self, url_path: str, content: str | bytes, host: str = HOST) -> Path:
        """Write the file the mirror serves for `url_path` (`/a/` -> a/index.html,
        `/a` -> a.html, a path with an extension -> that file)."""
        rel = url_path.lstrip("/")
        if not rel or rel.endswith("/"):
            rel += "index.html"
        elif "." not in rel.rsplit("/", 1)[-1]:
            rel += ".html"
        path = self.root / host / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    def source(self, name: str = "test", host: str = HOST, **overrides) -> Source:
        values = {
            "name": name,
            "title": name.title(),
            "start_urls": (f"http://{host}/",),
            "allowed_domains": (host,),
            "delay": 0.0,
            "max_pages": 200,
            "max_depth": 6,
            # the home page is a listing: followed, not a document
            "follow_only": (re.compile(r"^https?://[^/]+/$"),),
            **overrides,
        }
        return Source(**values)

    def crawl(
        self,
        sources: list[Source] | None = None,
        settings: CrawlSettings = FAST,
        polite: bool = True,
    ) -> RunReport:
        crawler = Crawler(
            self.store_path, settings, route=self.mirror.url, polite=polite, progress=False
        )
        return crawler.run(sources or [self.source()])

    def paths(self, host: str = HOST) -> list[str]:
        return self.mirror.paths_requested(host)

    def store(self) -> CrawlStore:
        return CrawlStore(self.store_path)

    def documents(self) -> dict[str, object]:
        with self.store() as store:
            return {d.url: d for d in store.documents()}


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "sites"
    root.mkdir()
    with MirrorServer(root) as server:
        yield Site(root, server, tmp_path / "data")
