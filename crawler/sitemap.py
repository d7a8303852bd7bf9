"""Sitemaps: `urlset` and `sitemapindex` documents, plain or gzipped.

Parsed incrementally (lxml iterparse) with caps on size and entries, so a hostile
sitemap of a million URLs costs bounded time and memory.
"""

from __future__ import annotations

import gzip
import io
import logging
import zlib
from dataclasses import dataclass

from lxml import etree

log = logging.getLogger(__name__)

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
MAX_ENTRIES = 50_000


class SitemapError(Exception):
    kind = "sitemap"


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: str | None = None
    is_index: bool = False  # the entry is itself a sitemap


def _maybe_gunzip(body: bytes) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as gz:
            data = gz.read(MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise SitemapError(f"bad gzip sitemap: {exc}") from exc
    if len(data) > MAX_SITEMAP_BYTES:
        raise SitemapError("sitemap larger than 50 MB uncompressed")
    return data


def parse_sitemap(body: bytes, max_entries: int = MAX_ENTRIES) -> list[SitemapEntry]:
    """Entries of a sitemap or sitemap index, at most `max_entries`."""
    data = _maybe_gunzip(body)
    entries: list[SitemapEntry] = []
    loc: str | None = None
    lastmod: str | None = None
    try:
        for event, el in etree.iterparse(
            io.BytesIO(data),
            events=("end",),
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
        ):
            tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
            if tag == "loc":
                loc = (el.text or "").strip()
            elif tag == "lastmod":
                lastmod = (el.text or "").strip() or None
            elif tag in ("url", "sitemap"):
                if loc:
                    entries.append(SitemapEntry(loc, lastmod, is_index=tag == "sitemap"))
                loc = lastmod = None
                el.clear()
                if len(entries) >= max_entries:
                    log.warning("sitemap cut at %d entries", max_entries)
                    break
            del event
    except etree.XMLSyntaxError as exc:
        if not entries:
            raise SitemapError(f"sitemap is not valid XML: {exc}") from exc
    return entries
