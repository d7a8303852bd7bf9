"""The `kennisbank` command line: options, output for a person, exit codes.

The work is done by `pipeline` (crawl → index, the first-start build) and `serving`
(waitress, gunicorn); this module parses options, calls them and prints the outcome.
Every command takes --data-dir (default $KENNISBANK_DATA, else ./kennisbank-data);
the sources file comes from --sources, else $KENNISBANK_SOURCES, else the data dir's
sources.toml, else the bundled default (`settings`). Errors are caught here and
printed as one clear line; the exit code says whether anything failed (0 ok, 1 a
source or step failed, 2 bad usage or configuration). Its length is the commands'
option declarations and their Dutch output lines, nothing else.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import time
from pathlib import Path

import click

from crawler.config import ConfigError, load_sources
from crawler.crawl import CrawlLocked, RunReport
from crawler.store import CrawlStore, StoreError
from indexer.build import IndexError_, update_index
from indexer.engine import IndexCorrupt, SearchIndex

from . import pipeline, settings
from .base_url import BASE_URL_ENV, configured_base_url, parse_base_url

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
        kinds = _error_kinds(c)
        if kinds:
            click.echo(f"    fouten per soort: {kinds}")
        for warning in rep.warnings:
            click.echo(f"    WAARSCHUWING: {warning['message']}")


def _error_kinds(counts: dict) -> str:
    """'timeout 2, http 1' from a run report's `error:<kind>` counters."""
    return ", ".join(
        f"{k.removeprefix('error:')} {v}"
        for k, v in sorted(counts.items())
        if k.startswith("error:") and v
    )


def _crawl_and_index(data_dir: Path, config, sources: list, *, quiet: bool, **kwargs) -> RunReport:
    """`pipeline.crawl_and_index`, with its outcome printed unless `quiet`."""
    outcome = pipeline.crawl_and_index(data_dir, config, sources, **kwargs)
    if not quiet:
        _print_report(outcome.report)
        if outcome.index is not None:
            info = outcome.index
            click.echo(
                f"index {info.mode}: {info.documents} documenten "
                f"(+{info.added} ~{info.updated} -{info.removed})"
            )
    return outcome.report


sources_option = click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="The sources file (default: $KENNISBANK_SOURCES, else sources.toml in the data "
    "dir, else the bundled one).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Kennisbank jeugdbeleid: Dutch search over the local-youth-policy partner network."""


@main.command()
@data_dir_option
@sources_option
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
@click.option(
    "--route",
    hidden=True,
    help="Send every request to this http://host:port with the real Host header "
    "(a staging mirror, tests).",
)
def crawl(
    data_dir: Path,
    sources_file: str | None,
    only: tuple[str, ...],
    due: bool,
    sample: bool,
    no_index: bool,
    quiet: bool,
    log_file: str | None,
    route: str | None,
) -> None:
    """Crawl the partner sites into the crawl store, then update the index."""
    _setup_logging(quiet, log_file)
    progress = not quiet and sys.stderr.isatty()
    sources_path = settings.resolve_sources_file(sources_file, data_dir)
    try:
        config = load_sources(sources_path)
        sources = pipeline.select_sources(config, only)
        if due:
            from crawler.schedule import due_sources

            with CrawlStore(data_dir / "crawl.sqlite") as store:
                sources = due_sources(sources, store)
            if not sources:
                if not quiet:
                    click.echo("geen bronnen aan de beurt")
                return
        report = _crawl_and_index(
            data_dir,
            config,
            sources,
            sources_file=sources_path,
            sample=sample,
            no_index=no_index,
            quiet=quiet,
            progress=progress,
            route=route,
        )
    except (ConfigError, CrawlLocked) as exc:
        _fail(str(exc), 2)
    except (StoreError, IndexError_, OSError) as exc:
        _fail(str(exc))
    if report.failed:
        sys.exit(1)
    if report.warned:  # crawled, but the extraction of a source looks broken
        sys.exit(3)


@main.command()
@data_dir_option
@sources_option
@click.option("--source", "only", multiple=True, help="Schedule only this source (repeatable).")
@click.option("--sample", is_flag=True, help="Crawl the bundled sample mirror instead of the web.")
@click.option("--no-index", is_flag=True, help="Do not update the index after each crawl.")
@click.option("--quiet", is_flag=True, help="Warnings only.")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Also log to this file.")
@click.option(
    "--max-runs",
    type=click.IntRange(1),
    default=None,
    help="Stop after this many crawls (default: run until stopped).",
)
def scheduler(
    data_dir: Path,
    sources_file: str | None,
    only: tuple[str, ...],
    sample: bool,
    no_index: bool,
    quiet: bool,
    log_file: str | None,
    max_runs: int | None,
) -> None:
    """Run each source's cron schedule in the foreground (for machines without cron).
    Stops on Ctrl+C or SIGTERM."""
    import signal
    import threading

    from crawler.scheduler import run_scheduler

    _setup_logging(quiet, log_file)
    sources_path = settings.resolve_sources_file(sources_file, data_dir)
    try:
        config = load_sources(sources_path)
        sources = pipeline.select_sources(config, only)
        if sample:
            pipeline.refuse_sample_over_real_data(data_dir)
    except (ConfigError, StoreError) as exc:
        _fail(str(exc), 2)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())

    def crawl_due(due: list) -> None:
        try:
            _crawl_and_index(
                data_dir,
                config,
                due,
                sources_file=sources_path,
                sample=sample,
                no_index=no_index,
                quiet=quiet,
                progress=False,
            )
        except (CrawlLocked, ConfigError, StoreError, IndexError_, OSError) as exc:
            log.error("crawl failed: %s", exc)

    if not quiet:
        click.echo("planner actief (Ctrl+C om te stoppen)")
    try:
        runs = run_scheduler(
            sources, data_dir / "crawl.sqlite", crawl_due, stop=stop, max_runs=max_runs
        )
    except KeyboardInterrupt:
        runs = -1
    except StoreError as exc:
        _fail(str(exc))
    if not quiet and runs >= 0:
        click.echo(f"planner gestopt na {runs} crawl(s)")


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
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Worker processes sharing one listening socket (threads do not scale: the GIL).",
)
@click.option(
    "--access-log",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="With --workers > 1: log each request, with the worker's pid, to this file (- for "
    "stderr).",
)
@click.option(
    "--build-only",
    is_flag=True,
    help="Build the index if there is none (the sample corpus on a first start), then stop.",
)
@click.option(
    "--base-url",
    default=None,
    callback=lambda ctx, param, value: _base_url(value),
    help="Public address for absolute links (feeds, OpenSearch, redirects), e.g. "
    "https://kennisbank.example.be (default: $KENNISBANK_BASE_URL, else http://HOST:PORT).",
)
def serve(
    data_dir: Path,
    host: str,
    port: int,
    threads: int,
    workers: int,
    access_log: str | None,
    build_only: bool,
    base_url: str | None,
) -> None:
    """Serve the search UI and API: waitress for one process, gunicorn's pre-fork for
    --workers > 1 (Linux). With no index yet, build one from the bundled sample corpus
    first."""
    from .serving import ServingError, serve_one, serve_workers

    _setup_logging(False)
    # Absolute links never come from the Host header (search_app/base_url.py); the
    # worker processes inherit the setting through the environment.
    os.environ[BASE_URL_ENV] = base_url or f"http://{host}:{port}"
    started = time.monotonic()
    try:
        prepared = pipeline.ensure_index(
            data_dir, progress=sys.stderr.isatty(), announce=click.echo
        )
    except (IndexError_, IndexCorrupt, StoreError, ConfigError, CrawlLocked, OSError) as exc:
        _fail(str(exc))
    if prepared.action != "ready":
        click.echo(f"klaar: {prepared.documents} documenten in {time.monotonic() - started:.1f}s")
    if build_only:
        return
    if access_log and workers == 1:
        click.echo("kennisbank: --access-log geldt alleen met --workers > 1", err=True)
    try:
        if workers > 1:
            click.echo(
                f"Kennisbank jeugdbeleid op http://{host}:{port}/  ({workers} processen; "
                "Ctrl+C om te stoppen)"
            )
            serve_workers(data_dir, host, port, threads, workers, access_log)
        else:
            click.echo(f"Kennisbank jeugdbeleid op http://{host}:{port}/  (Ctrl+C om te stoppen)")
            serve_one(data_dir, host, port, threads)
    except (ServingError, OSError) as exc:
        _fail(str(exc))


def _base_url(value: str | None) -> str | None:
    value = configured_base_url(value)
    if value is not None:
        try:
            parse_base_url(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
    return value


@main.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(data_dir: Path, as_json: bool) -> None:
    """Show the crawl store, the last runs and the index."""
    try:
        out = pipeline.status(data_dir)
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
            for name, rep in sorted((run["report"] or {}).get("sources", {}).items()):
                c = rep.get("counts", {})
                kinds = _error_kinds(c)
                click.echo(
                    f"    {name:26} opgehaald {c.get('fetched', 0)}, nieuw {c.get('new', 0)}, "
                    f"gewijzigd {c.get('changed', 0)}, weg {c.get('gone', 0)}, "
                    f"fouten {c.get('errors', 0)}{' (' + kinds + ')' if kinds else ''}"
                    f"{'  ' + rep['reason'] if rep.get('reason') else ''}"
                )
                for warning in (rep.get("health") or {}).get("warnings", []):
                    click.echo(f"      WAARSCHUWING: {warning['message']}")
    if "index" in out:
        i = out["index"]
        click.echo(
            f"index: {i['documents']} documenten, versie {i['version']}, gebouwd {i['built_at']}"
        )
        click.echo(out["meaning"])
    else:
        click.echo("nog geen index")


@main.command()
@data_dir_option
@click.option("--query", "-q", default="", help="The search query (as typed in the search box).")
@click.option("--site", multiple=True, help="Only this source site (repeatable: OR).")
@click.option("--type", "doc_types", multiple=True, help="Only this document type (repeatable).")
@click.option("--theme", multiple=True, help="Only this theme (repeatable).")
@click.option("--audience", multiple=True, help="Only this audience (repeatable).")
@click.option("--year-from", type=int, default=None, help="Published in or after this year.")
@click.option("--year-to", type=int, default=None, help="Published in or before this year.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl", "ris", "bibtex", "xlsx"]),
    default="csv",
    show_default=True,
    help="xlsx needs --output.",
)
@click.option(
    "--delimiter",
    type=click.Choice(["comma", "semicolon"]),
    default="comma",
    show_default=True,
    help="csv: semicolon for Excel set to Dutch or Belgian conventions.",
)
@click.option(
    "--headers",
    type=click.Choice(["en", "nl"]),
    default="en",
    show_default=True,
    help="nl: Dutch column headers, type labels and source names (csv, xlsx).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here (csv and ris also get a companion .meta.json); default stdout.",
)
@click.option("--with-text", is_flag=True, help="Add each document's full text.")
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=100_000,
    show_default=True,
    help="At most this many hits; a clear message says when it cuts the result set.",
)
@click.option(
    "--exported-at",
    default=None,
    help="'now' or an ISO timestamp to record; default the index build time, so "
    "repeated exports are byte-identical.",
)
def export(
    data_dir: Path,
    query: str,
    site: tuple[str, ...],
    doc_types: tuple[str, ...],
    theme: tuple[str, ...],
    audience: tuple[str, ...],
    year_from: int | None,
    year_to: int | None,
    sort: str,
    fmt: str,
    output: Path | None,
    with_text: bool,
    limit: int,
    exported_at: str | None,
    delimiter: str,
    headers: str,
) -> None:
    """Export the whole result set of a search, with provenance (same as the web export)."""
    from werkzeug.datastructures import MultiDict

    from indexer.build import IndexMissing

    from .errors import BadParameter
    from .export import DELIMITERS, XLSX, Export, parse_exported_at, write_export
    from .params import parse_search_args

    args = MultiDict([("q", query), ("sort", sort)])
    for name, values in (
        ("site", site),
        ("type", doc_types),
        ("theme", theme),
        ("audience", audience),
    ):
        for value in values:
            args.add(name, value)
    for name, value in (("year_from", year_from), ("year_to", year_to)):
        if value is not None:
            args.add(name, str(value))
    try:
        req = parse_search_args(args)
        job = Export(
            SearchIndex(data_dir),
            req,
            fmt,
            cap=limit,
            with_text=with_text,
            exported_at=parse_exported_at(exported_at),
            delimiter=DELIMITERS[delimiter],
            dutch=headers == "nl",
        )
        if fmt == XLSX and output is None:
            raise BadParameter("XLSX is een binair bestand: geef --output op")
        companion = write_export(job, output, sys.stdout)
    except BadParameter as exc:
        _fail(str(exc), 2)
    except (IndexMissing, IndexCorrupt, OSError) as exc:
        _fail(str(exc))
    if job.message:
        click.echo(f"kennisbank: {job.message}", err=True)
    if output is not None:
        click.echo(f"{job.exported} van {job.stream.total} resultaten naar {output}", err=True)
    if companion is not None:
        click.echo(f"herkomst in {companion}", err=True)


if __name__ == "__main__":
    main()
