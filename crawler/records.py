"""The records the crawl store holds: `Document` (what the crawler extracts and the
indexer indexes; this is the one place it is defined) and `PageState` (a URL's fetch
state), and the store's timestamps. `crawler.store` re-exports them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime


def utcnow() -> str:
    """Timestamps in the store: ISO 8601, UTC, second precision."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class Document:
    """The document record: what the crawler extracts and the indexer indexes."""

    url: str
    source: str
    title: str
    text: str
    doc_type: str
    content_hash: str
    fetched_at: str
    description: str = ""
    date: str | None = None  # published, YYYY-MM-DD
    modified: str | None = None  # YYYY-MM-DD
    themes: list[str] = field(default_factory=list)
    audience: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    content_type: str = "text/html"
    language: str = "nl"
    # Videos the page embeds: {"title", "url"} with the video site's own page as url.
    videos: list[dict] = field(default_factory=list)
    pages: int | None = None  # a PDF's page count
    size: int | None = None  # a PDF's size in bytes

    @property
    def site(self) -> str:
        """The host without `www.`: what users know a partner site by."""
        host = self.url.split("/")[2].lower() if "//" in self.url else ""
        return host.removeprefix("www.")

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, data: str) -> Document:
        return cls(**json.loads(data))


@dataclass
class PageState:
    """The fetch state of one URL, as the crawler needs it for the next visit."""

    url: str
    source: str
    status: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    failures: int = 0
    last_fetched: str | None = None
