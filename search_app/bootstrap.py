"""The embedded default: build a data dir from the bundled sample mirror.

The mirror (`corpus/sites/`) is served on 127.0.0.1 by `crawler.mirror`, and the
real crawler crawls the partner sites' real URLs through it (every request goes to
the loopback server with the site's Host header), then the real indexer builds the
index. Politeness delays are off: the "sites" are local files.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from crawler.config import load_sources
from crawler.crawl import Crawler, RunReport, crawl_lock
from crawler.mirror import MirrorServer
from indexer.build import BuildInfo, update_index

from . import settings

log = logging.getLogger(__name__)


def crawl_sample(
    data_dir: Path,
    *,
    sources_file: Path = settings.SOURCES_FILE,
    sites_dir: Path = settings.SAMPLE_SITES,
    only: list[str] | None = None,
    progress: bool = True,
) -> RunReport:
    """Crawl the bundled mirror into `data_dir`'s crawl store."""
    config = load_sources(sources_file)
    sources = [config.get(n) for n in only] if only else list(config.sources)
    with crawl_lock(data_dir), MirrorServer(sites_dir) as mirror:
        crawler = Crawler(
            data_dir / "crawl.sqlite",
            config.settings,
            route=mirror.url,
            polite=False,
            progress=progress,
        )
        report = crawler.run(sources)
    (data_dir / settings.SAMPLE_MARKER).write_text(
        json.dumps({"sites": str(sites_dir), "sources": [s.name for s in sources]}),
        encoding="utf-8",
    )
    return report


def build_sample(data_dir: Path, *, progress: bool = True) -> tuple[RunReport, BuildInfo]:
    """Crawl the bundled mirror and build the index: what first `serve` does."""
    if not settings.SAMPLE_SITES.is_dir():
        raise FileNotFoundError(
            f"the bundled sample corpus is missing ({settings.SAMPLE_SITES}): reinstall "
            "the package (pip install --force-reinstall kennisbank-jeugdbeleid), or crawl "
            "the real sites first with `kennisbank crawl`"
        )
    report = crawl_sample(data_dir, progress=progress)
    info = update_index(data_dir, rebuild=True, progress=progress)
    return report, info
