"""Runs: a crawl killed with SIGKILL and resumed, one crawl per data dir, `--due`,
the foreground scheduler, the run report in `kennisbank status`, exit codes."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from conftest import BASE, page

from crawler.config import load_sources
from crawler.crawl import CrawlLocked, crawl_lock
from crawler.schedule import due_sources
from crawler.store import CrawlStore
from search_app import settings
from search_app.cli import main

PAGES = 60
SOURCES_TOML = """
[crawler]
timeout = 5
retries = 1
backoff = 0.05

[[sources]]
name = "test"
title = "Test"
start_urls = ["http://test.example/"]
allowed_domains = ["test.example"]
follow_only = ['^http://test\\.example/$', '/lijst/']
delay = {delay}
schedule = "{schedule}"
"""

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from crawler.config import load_sources
    from crawler.crawl import Crawler, crawl_lock

    data_dir, sources_file, route = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    config = load_sources(sources_file)
    with crawl_lock(data_dir):
        report = Crawler(data_dir / "crawl.sqlite", config.settings, route=route,
                         progress=False).run(list(config.sources))
    print("failed" if report.failed else "ok")
    """
)


def _site_with_pages(site, delay: float = 0.02, schedule: str = "0 3 * * *"):
    """A home page -> 6 listing pages -> 10 documents each."""
    lists = [f"/lijst/{i}" for i in range(PAGES // 10)]
    site.file("/", page("Home", links=tuple(lists)))
    for i, lst in enumerate(lists):
        docs = tuple(f"/doc/{i * 10 + j}" for j in range(10))
        site.file(lst, page(f"Lijst {i}", links=docs))
        for doc in docs:
            site.file(doc, page(f"Document {doc}", f"Unieke inhoud van {doc}."))
    sources_file = site.data_dir.parent / "sources.toml"
    sources_file.write_text(SOURCES_TOML.format(delay=delay, schedule=schedule))
    site.data_dir.mkdir(parents=True, exist_ok=True)
    return sources_file


def _stored(store_path) -> int:
    if not store_path.exists():
        return 0
    db = sqlite3.connect(store_path, timeout=5)
    try:
        return db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def _run_child(site, sources_file, kill_after: int | None) -> None:
    """Crawl in a real subprocess; with `kill_after`, SIGKILL it once that many page
    rows are in the store."""
    args = [sys.executable, "-c", CHILD, str(site.data_dir), str(sources_file), site.mirror.url]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        if kill_after is None:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            assert out.strip() == "ok"
            return
        deadline = time.monotonic() + 30
        while _stored(site.store_path) < kill_after:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "crawl made no progress"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_sigkill_mid_crawl_then_resume_without_refetching(site):
    sources_file = _site_with_pages(site)
    kills = (3, 25, 50)  # early (before most links), middle, late
    for kill_after in kills:
        _run_child(site, sources_file, kill_after)
    _run_child(site, sources_file, None)

    docs = site.documents()
    assert set(docs) == {f"{BASE}/doc/{i}" for i in range(PAGES)}  # no lost pages
    with CrawlStore(site.store_path) as store:
        runs = store.last_runs()
        urls = [r[0] for r in store._db.execute("SELECT url FROM pages")]
    assert len(urls) == len(set(urls)) == PAGES + 1 + PAGES // 10  # no duplicate rows
    # One run, resumed three times, finished once.
    assert len(runs) == 1 and runs[0]["ended_at"] and runs[0]["report"]["sources"]["test"]
    # Each page fetched once, plus at most the page in flight at each kill.
    fetched = [p for p in site.paths() if p.startswith(("/doc/", "/lijst/"))]
    assert len(fetched) - len(set(fetched)) <= len(kills)
    assert len(set(fetched)) == PAGES + PAGES // 10


def test_new_run_after_a_finished_one_fetches_again(site):
    from crawler.config import load_sources

    sources = list(load_sources(_site_with_pages(site, delay=0)).sources)
    site.crawl(sources)
    site.crawl(sources)
    fetched = [p for p in site.paths() if p.startswith("/doc/")]
    assert len(fetched) == 2 * PAGES
    with CrawlStore(site.store_path) as store:
        assert len(store.last_runs()) == 2


def test_second_concurrent_crawl_refused(site, tmp_path):
    sources_file = _site_with_pages(site, delay=0)
    with crawl_lock(site.data_dir):
        with pytest.raises(CrawlLocked):
            with crawl_lock(site.data_dir):
                pass
        result = CliRunner().invoke(
            main,
            ["crawl", "--sources", str(sources_file), "--data-dir", str(site.data_dir), "--quiet"],
        )
        assert result.exit_code == 2
        assert "another crawl is running" in result.output
    assert not [p for p in site.paths() if p.startswith("/doc/")]
    with crawl_lock(site.data_dir):  # released: the next crawl may run
        pass


def test_due_picks_only_due_sources(tmp_path):
    from crawler.config import Source

    def source(name: str, schedule: str) -> Source:
        return Source(
            name=name,
            title=name,
            start_urls=(f"http://{name}.example/",),
            allowed_domains=(f"{name}.example",),
            schedule=schedule,
        )

    daily = source("dagelijks", "0 3 * * *")
    weekly = source("wekelijks", "0 3 * * 1")  # Mondays 03:00
    never_crawled = source("nieuw", "0 3 * * 1")
    with CrawlStore(tmp_path / "crawl.sqlite") as store:
        run_id, _ = store.open_run(["dagelijks", "wekelijks"])
        store.finish_run(run_id, {"sources": {"dagelijks": {}, "wekelijks": {}}})
        # The crawl ended on Monday 5 January 2026, 04:00 UTC.
        store._db.execute("UPDATE runs SET ended_at='2026-01-05T04:00:00+00:00'")
        # A killed run (no report) does not count as a crawl.
        store.open_run(["wekelijks"])
        wednesday = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
        due = due_sources([daily, weekly, never_crawled], store, wednesday)
        assert [s.name for s in due] == ["dagelijks", "nieuw"]
        next_monday = datetime(2026, 1, 12, 3, 0, tzinfo=UTC)
        assert [s.name for s in due_sources([weekly], store, next_monday)] == ["wekelijks"]
        just_after = datetime(2026, 1, 5, 5, 0, tzinfo=UTC)
        assert due_sources([daily, weekly], store, just_after) == []


def test_crawl_due_cli_crawls_only_due_sources(site):
    # Yearly on 1 January: once crawled, not due again for months.
    sources_file = _site_with_pages(site, delay=0, schedule="0 3 1 1 *")
    args = ["crawl", "--sources", str(sources_file), "--data-dir", str(site.data_dir)]
    args += ["--route", site.mirror.url, "--no-index", "--due"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "nieuw   60" in first.output  # never crawled: due
    requests = len(site.mirror.requests)
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert "geen bronnen aan de beurt" in second.output
    assert len(site.mirror.requests) == requests  # nothing fetched


def test_scheduler_runs_due_sources_and_stops(tmp_path):
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(
        main,
        [
            "scheduler",
            "--sample",
            "--source",
            "debattle",
            "--no-index",
            "--max-runs",
            "1",
            "--data-dir",
            str(data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "planner gestopt na 1 crawl(s)" in result.output
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        runs = store.last_runs()
        assert [r["sources"] for r in runs] == [["debattle"]]
        # Just crawled: debattle waits for its next weekly slot; the others never ran.
        sample = list(load_sources(settings.SOURCES_FILE).sources)
        due = {s.name for s in due_sources(sample, store)}
    assert "debattle" not in due and len(due) == 3


def test_scheduler_loop_waits_and_is_stoppable(site):
    import threading

    from crawler.scheduler import run_scheduler

    sources_file = _site_with_pages(site, delay=0)
    from crawler.config import load_sources

    config = load_sources(sources_file)
    crawled = []
    stop = threading.Event()

    def crawl(due) -> None:
        crawled.append([s.name for s in due])
        with CrawlStore(site.store_path) as store:
            run_id, _ = store.open_run([s.name for s in due])
            store.finish_run(run_id, {"sources": {s.name: {"counts": {}} for s in due}})

    timer = threading.Timer(0.5, stop.set)
    timer.start()
    started = time.monotonic()
    runs = run_scheduler(list(config.sources), site.store_path, crawl, stop=stop)
    timer.cancel()
    assert runs == 1 and crawled == [["test"]]  # due once, then waits for the cron slot
    assert time.monotonic() - started < 5


def test_failed_source_exit_code_and_status_errors_by_kind(site):
    sources_file = _site_with_pages(site, delay=0)
    broken = {"robots": True}
    site.mirror.override(
        lambda h: (
            broken["robots"]
            and h.path == "/robots.txt"
            and (h.send_body(500, b"", "text/plain") or True)
        )
    )
    site.mirror.override(
        lambda h: h.path == "/doc/1" and (h.send_body(500, b"", "text/plain") or True)
    )
    args = ["crawl", "--sources", str(sources_file), "--data-dir", str(site.data_dir)]
    args += ["--route", site.mirror.url, "--no-index"]
    failed = CliRunner().invoke(main, args)
    assert failed.exit_code == 1, failed.output
    assert "MISLUKT" in failed.output and "robots.txt" in failed.output
    assert not [p for p in site.paths() if p != "/robots.txt"]  # host not crawled now

    broken["robots"] = False
    partial = CliRunner().invoke(main, [*args, "--quiet"])
    assert partial.exit_code == 0, partial.output  # one page error is not a failed source
    assert partial.output == ""  # --quiet: nothing for cron to mail
    status = CliRunner().invoke(main, ["status", "--data-dir", str(site.data_dir)])
    assert status.exit_code == 0, status.output
    assert "fouten 1 (server_error 1)" in status.output
    assert "mislukt: test" in status.output  # the earlier run, still listed


def test_log_file_for_cron(site):
    sources_file = _site_with_pages(site, delay=0)
    log_file = site.data_dir.parent / "crawl.log"
    args = ["crawl", "--sources", str(sources_file), "--data-dir", str(site.data_dir)]
    args += ["--route", site.mirror.url, "--no-index", "--log-file", str(log_file)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    logged = log_file.read_text(encoding="utf-8")
    # What cron keeps: each source's outcome, timestamped, with its counts.
    line = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO \S+: crawl test: documents 60\b.* new 60$"
    assert re.search(line, logged, re.M), logged
