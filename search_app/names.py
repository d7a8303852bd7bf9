"""The names people know the partner sources by ("Bataljong", "VVSG"), from the `title`
of each source in sources.toml, keyed by the `site` value the index stores (the host
without "www."). The site value stays what URLs and the API use; only what is shown
changes. A site no source claims is shown as it is.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app

from crawler.config import ConfigError, load_sources

from . import settings

log = logging.getLogger(__name__)

_EXTENSION = "kennisbank.source_titles"


def site_titles(sources_file: Path) -> dict[str, str]:
    """Site value (host without www.) -> the source's title, for every allowed domain."""
    out: dict[str, str] = {}
    for source in load_sources(sources_file).sources:
        for domain in source.allowed_domains:
            out.setdefault(domain.lower().removeprefix("www."), source.title)
    return out


def titles_for(app: Flask) -> dict[str, str]:
    """The app's site -> title map, read once per app; empty (sites shown as they are)
    when the sources file cannot be read."""
    titles = app.extensions.get(_EXTENSION)
    if titles is None:
        sources_file = Path(app.config.get("SOURCES_FILE") or settings.SOURCES_FILE)
        try:
            titles = site_titles(sources_file)
        except (ConfigError, OSError) as exc:
            log.warning("source titles unavailable (%s): showing sites", exc)
            titles = {}
        app.extensions[_EXTENSION] = titles
    return titles


def source_title(site: str, app: Flask | None = None) -> str:
    """The name to show for a site value: "bataljong.be" -> "Bataljong"."""
    titles = titles_for(app or current_app)
    return titles.get((site or "").lower(), site)
