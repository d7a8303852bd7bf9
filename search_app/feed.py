"""The Atom feed of a search (`/feed.atom?<search params>`): its newest matching
documents, so a youth officer can follow a search in a feed reader.

The same parameters as `/api/v1/search`; the order is always by date (newest first)
and the feed holds at most FEED_ENTRIES entries. Built with ElementTree, so every
value is escaped; ids are stable tag URIs, so readers do not show entries twice.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request

from indexer.engine import Hit

from . import search_index
from .export import plain
from .params import parse_search_args, request_args

FEED_ENTRIES = 50
ATOM = "http://www.w3.org/2005/Atom"
TAG_AUTHORITY = "tag:kennisbank-jeugdbeleid,2024"

bp = Blueprint("feed", __name__)


def _rfc3339(value: str | None) -> str | None:
    """A document date (YYYY-MM-DD) or a crawl timestamp as an Atom date."""
    if not value:
        return None
    if len(value) == 10:
        return value + "T00:00:00Z"
    return value.replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _entry(feed: ET.Element, hit: Hit) -> str:
    updated = _rfc3339(hit.date) or _rfc3339(hit.fetched_at) or "1970-01-01T00:00:00Z"
    entry = _sub(feed, "entry")
    _sub(entry, "id", f"{TAG_AUTHORITY}:doc:{hit.id}")
    _sub(entry, "title", hit.title or hit.url)
    _sub(entry, "link", href=hit.url, rel="alternate")
    _sub(entry, "updated", updated)
    if hit.date:
        _sub(entry, "published", _rfc3339(hit.date))
    _sub(entry, "summary", hit.description or plain(hit.snippet))
    for theme in hit.themes:
        _sub(entry, "category", term=theme)
    _sub(entry, "category", term=hit.type, label="type")
    return updated


@bp.get("/feed.atom")
def feed():
    req = parse_search_args(request.args)
    req.sort = "date"
    stream = search_index(current_app).iter_hits(req, FEED_ENTRIES)
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    params = urlencode(request_args(req, page=1, sort="relevance"))
    title = f"Kennisbank jeugdbeleid: {req.query}" if req.query else "Kennisbank jeugdbeleid"
    _sub(root, "id", f"{TAG_AUTHORITY}:feed?{params}")
    _sub(root, "title", title)
    _sub(root, "subtitle", f"Nieuwste documenten bij deze zoekopdracht ({stream.total} in totaal)")
    updated_el = _sub(root, "updated", _rfc3339(stream.index.built_at))
    _sub(root, "link", rel="self", href=request.url)
    _sub(root, "link", rel="alternate", type="text/html", href=request.url_root + "?" + params)
    author = _sub(root, "author")
    _sub(author, "name", "Kennisbank jeugdbeleid")
    _sub(root, "generator", "Kennisbank jeugdbeleid")
    newest = [_entry(root, hit) for hit in stream.hits]
    if newest:
        updated_el.text = max(newest)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, content_type="application/atom+xml; charset=utf-8")
