"""Crawl → index orchestration: what the `kennisbank` commands do, as functions that
tests and other front ends call directly. No printing here: results are returned and
logged; the command line (`cli.py`) turns them into lines for a person."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from crawler.config import ConfigError, Source, SourcesFile
from crawler.crawl import Crawler, RunReport, crawl_lock
from crawler.store import CrawlStore
from indexer import integrity
from indexer.build import BuildInfo, current_build, update_index
from indexer.engine import SearchIndex

from . import bootstrap, settings

log = logging.getLogger(__name__)


@dataclass
class CrawlOutcome:
    report: RunReport
    index: BuildInfo | None  # None when the index was not updated (--no-index)


def select_sources(config: SourcesFile, only: tuple[str, ...] | list[str]) -> list[Source]:
    """The sources named in `only` (a ConfigError names an unknown one), else all."""
    return [config.get(n) for n in only] if only else list(config.sources)


def refuse_sample_over_real_data(data_dir: Path) -> None:
    """`--sample` crawls the bundled mirror into the data dir, where its documents
    replace the real ones; only a sample data dir (or a new one) may get that."""
    store = data_dir / "crawl.sqlite"
    if settings.is_sample(data_dir) or not store.is_file() or store.stat().st_size == 0:
        return
    with CrawlStore.reader(store) as db:
        documents = db.document_count()
    if documents:
        raise ConfigError(
            f"{data_dir} holds {documents} crawled documents that are not the sample: "
            "crawl the sample into another --data-dir"
        )


def crawl_and_index(
    data_dir: Path,
    config: SourcesFile,
    sources: list[Source],
    *,
    sources_file: Path,
    sample: bool = False,
    no_index: bool = False,
    progress: bool = False,
    route: str | None = None,
) -> CrawlOutcome:
    """One crawl of `sources` (the bundled mirror when `sample`), then the incremental
    index update; shared by `crawl` and `scheduler`."""
    if sample:
        refuse_sample_over_real_data(data_dir)
        report = bootstrap.crawl_sample(
            data_dir, sources_file=sources_file, only=[s.name for s in sources], progress=progress
        )
    else:
        with crawl_lock(data_dir):
            crawler = Crawler(
                data_dir / "crawl.sqlite", config.settings, route=route, progress=progress
            )
            report = crawler.run(sources)
    for name, rep in report.sources.items():
        level = logging.ERROR if rep.failed else logging.INFO
        log.log(level, "crawl %s: %s%s", name, _counts(rep.counts), _reason(rep.reason))
    info = None
    if not no_index:
        info = update_index(data_dir, progress=progress)
        log.info(
            "index %s: %d documents (+%d ~%d -%d)",
            info.mode,
            info.documents,
            info.added,
            info.updated,
            info.removed,
        )
    return CrawlOutcome(report, info)


def _counts(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if v)


def _reason(reason: str | None) -> str:
    return f" ({reason})" if reason else ""


@dataclass
class Prepared:
    """What `ensure_index` had to do before serving."""

    action: str  # "ready", "indexed" (from the crawl store) or "sample" (first start)
    documents: int = 0


def ensure_index(data_dir: Path, *, progress: bool = False, announce=None) -> Prepared:
    """Make sure `data_dir` has an index that opens: build one from its crawl store, or
    (first start, no store) crawl and index the bundled sample corpus. `announce` gets
    one line before a long step. Raises the crawler's, store's or indexer's errors."""
    announce = announce or (lambda _line: None)
    prepared = Prepared("ready")
    if current_build(data_dir) is None:
        if (data_dir / "crawl.sqlite").exists():
            announce(f"geen index in {data_dir}: index bouwen uit de crawl store …")
            info = update_index(data_dir, progress=progress)
            prepared = Prepared("indexed", info.documents)
        else:
            announce("Eerste start: de voorbeeldcollectie wordt gecrawld en geïndexeerd …")
            _report, info = bootstrap.build_sample(data_dir, progress=progress)
            prepared = Prepared("sample", info.documents)
    integrity.check(current_build(data_dir))  # fail now, clearly, if it is damaged
    SearchIndex(data_dir).info()  # ... or cannot be opened
    return prepared


def status(data_dir: Path, runs: int = 5) -> dict:
    """The data dir at a glance: whether it holds the sample, pages per source and state,
    the last `runs` crawl runs and the index's build info (keys absent where there is
    no store or no index yet)."""
    out: dict = {"data_dir": str(data_dir), "sample": settings.is_sample(data_dir)}
    store_path = data_dir / "crawl.sqlite"
    if store_path.exists():  # never create a store just to say that it is empty
        with CrawlStore.reader(store_path) as store:  # never writes: read-only dirs work
            out["pages"] = store.counts()
            out["runs"] = store.last_runs(runs)
    build = current_build(data_dir)
    if build is not None:
        integrity.check(build)
        index = SearchIndex(data_dir)
        out["index"] = index.info().__dict__
        out["meaning"] = index.meaning_status()
    return out
