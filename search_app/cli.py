"""The `kennisbank` command line: crawl, index, serve, status.

Every command takes --data-dir (default $KENNISBANK_DATA, else ./kennisbank-data).
Errors are caught here and printed as one clear line; the exit code says whether
anything failed (0 ok, 1 a source or step failed, 2 bad usage or configuration).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from pathlib import Path

import click

from crawler.config import ConfigError, load_sources
from crawler.crawl import Crawler, CrawlLocked, RunReport, crawl_lock
from crawler.store import CrawlStore, StoreError
from indexer.build import IndexError_, current_build, update_index
from indexer.engine import IndexCorrupt, SearchIndex

from . import bootstrap, settings

log = logging.getLogger("kennisbank")


def _setup_logging(quiet: bool, log_file: str | None = None) -> None:
    level = logging.WARNING if quiet else logging.INFO
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(
        level=level,
        handlers=handlers,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def data_dir_option(func):
    @click.option(
        "--data-dir",
        type=click.Path(file_okay=False),
        default=None,
        help="Data folder (default: $KENNISBANK_DATA, else ./kennisbank-data).",
    )
    @functools.wraps(func)
    def wrapper(*args, data_dir=None, **kwargs):
        return func(*args, data_dir=settings.resolve_data_dir(data_dir), **kwargs)

    return wrapper


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"kennisbank: {message}", err=True)
    sys.exit(code)


def _print_report(report: RunReport) -> None:
    for name, rep in report.sources.items():
        c = rep.counts
        status = "MISLUKT" if rep.failed else "ok"
        click.echo(
            f"{name:28} {status:8} opgehaald {c['fetched']:4}  nieuw {c['new']:4}  "
            f"gewijzigd {c['changed']:3}  ongewijzigd {c['unchanged']:4}  weg {c['gone']:3}  "
            f"overgeslagen {c['skipped'] + c['robots_refused']:3}  fouten {c['errors']:3}  "
            f"documenten {c['documents']:4}"
        )
        if rep.reason:
            click.echo(f"    {rep.reason}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Kennisbank jeugdbeleid: Dutch search over the local-youth-policy partner network."""


@main.command()
@data_dir_option
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False),
    default=str(settings.SOURCES_FILE),
    show_default=True,
    help="The sources file.",
)
@click.option("--source", "only", multiple=True, help="Crawl only this source (repeatable).")
@click.option("--due", is_flag=True, help="Crawl only the sources whose schedule is due.")
@click.option(
    "--sample",
    is_flag=True,
    help="Crawl the bundled sample mirror (served on 127.0.0.1) instead of the web.",
)
@click.option("--no-index", is_flag=True, help="Do not update the index after the crawl.")
@click.option("--quiet", is_flag=True, help="No progress bar, warnings only (for cron).")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Also log to this file.")
def crawl(
    data_dir: Path,
    sources_file: str,
    only: tuple[str, ...],
    due: bool,
    sample: bool,
    no_index: bool,
    quiet: bool,
    log_file: str | None,
) -> None:
    """Crawl the partner sites into the crawl store, then update the index."""
    _setup_logging(quiet, log_file)
    progress = not quiet and sys.stderr.isatty()
    try:
        config = load_sources(Path(sources_file))
        sources = [config.get(n) for n in only] if only else list(config.sources)
        if due:
            from crawler.schedule import due_sources

            with CrawlStore(data_dir / "crawl.sqlite") as store:
                sources = due_sources(sources, store)
            if not sources:
                if not quiet:
                    click.echo("geen bronnen aan de beurt")
                return
        if sample:
            report = bootstrap.crawl_sample(
                data_dir,
                sources_file=Path(sources_file),
                only=[s.name for s in sources],
                progress=progress,
            )
        else:
            with crawl_lock(data_dir):
                report = Crawler(data_dir / "crawl.sqlite", config.settings, progress=progress).run(
                    sources
                )
        if not quiet:
            _print_report(report)
        if not no_index:
            info = update_index(data_dir, progress=progress)
            if not quiet:
                click.echo(
                    f"index {info.mode}: {info.documents} documenten "
                    f"(+{info.added} ~{info.updated} -{info.removed})"
                )
    except (ConfigError, CrawlLocked) as exc:
        _fail(str(exc), 2)
    except (StoreError, IndexError_, OSError) as exc:
        _fail(str(exc))
    if report.failed:
        sys.exit(1)


@main.command()
@data_dir_option
@click.option("--rebuild", is_flag=True, help="Build from scratch instead of updating.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def index(data_dir: Path, rebuild: bool, quiet: bool) -> None:
    """Build or update the search index from the crawl store."""
    _setup_logging(quiet)
    try:
        info = update_index(data_dir, rebuild=rebuild, progress=not quiet and sys.stderr.isatty())
    except (IndexError_, StoreError, OSError) as exc:
        _fail(str(exc))
    if not quiet:
        click.echo(
            f"index {info.mode}: {info.documents} documenten (+{info.added} "
            f"~{info.updated} -{info.removed}) in {info.seconds:.1f}s, versie {info.version}"
        )


@main.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option("--build-only", is_flag=True, help="Build the sample index if needed, then stop.")
def serve(data_dir: Path, host: str, port: int, threads: int, build_only: bool) -> None:
    """Serve the search UI and API (waitress). With no index yet, build one from the
    bundled sample corpus first."""
    _setup_logging(False)
    try:
        if current_build(data_dir) is None:
            if (data_dir / "crawl.sqlite").exists():
                click.echo(f"geen index in {data_dir}: index bouwen uit de crawl store …")
                update_index(data_dir, progress=sys.stderr.isatty())
            else:
                click.echo("Eerste start: de voorbeeldcollectie wordt gecrawld en geïndexeerd …")
                started = time.monotonic()
                report, info = bootstrap.build_sample(data_dir, progress=True)
                click.echo(
                    f"klaar: {info.documents} documenten in {time.monotonic() - started:.1f}s"
                )
        SearchIndex(data_dir).info()  # fail now, clearly, if the index cannot be opened
    except (IndexError_, IndexCorrupt, StoreError, ConfigError, CrawlLocked, OSError) as exc:
        _fail(str(exc))
    if build_only:
        return
    from waitress import serve as waitress_serve

    from . import create_app

    app = create_app({"DATA_DIR": str(data_dir)})
    click.echo(f"Kennisbank jeugdbeleid op http://{host}:{port}/  (Ctrl+C om te stoppen)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="kennisbank")


@main.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(data_dir: Path, as_json: bool) -> None:
    """Show the crawl store, the last runs and the index."""
    store_path = data_dir / "crawl.sqlite"
    out: dict = {"data_dir": str(data_dir), "sample": settings.is_sample(data_dir)}
    try:
        if store_path.exists():
            with CrawlStore(store_path) as store:
                out["pages"] = store.counts()
                out["runs"] = store.last_runs(5)
        build = current_build(data_dir)
        if build is not None:
            out["index"] = SearchIndex(data_dir).info().__dict__
    except (StoreError, IndexError_, IndexCorrupt, OSError) as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(out, indent=1, ensure_ascii=False, default=str))
        return
    click.echo(f"data dir: {data_dir}{' (voorbeeldcollectie)' if out['sample'] else ''}")
    if "pages" not in out:
        click.echo("nog geen crawl store: `kennisbank crawl` of `kennisbank serve`")
    else:
        for source, counts in sorted(out["pages"].items()):
            parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            click.echo(f"  {source:28} {parts}")
        for run in out["runs"][:3]:
            failed = [
                n for n, r in (run["report"] or {}).get("sources", {}).items() if r.get("failed")
            ]
            click.echo(
                f"  run {run['id']}: {run['started_at']} → {run['ended_at'] or '(bezig)'}"
                f"{'  mislukt: ' + ', '.join(failed) if failed else ''}"
            )
    if "index" in out:
        i = out["index"]
        click.echo(
            f"index: {i['documents']} documenten, versie {i['version']}, gebouwd {i['built_at']}"
        )
    else:
        click.echo("nog geen index")


if __name__ == "__main__":
    main()
