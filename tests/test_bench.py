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

import psutil
import pytest

from bench.generate import generate
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

    info = update_index(tmp_path / "a", rebuild=True, progress=False)
    assert info.documents == 50
    result = SearchIndex(tmp_path / "a").search(SearchRequest(query="jeugdraad"))
    assert result.total > 0
    assert set(result.facets) == {"site", "type", "theme", "audience", "year"}


@pytest.mark.parametrize(
    "module", ["bench.generate", "bench.index", "bench.search", "bench.report", "bench.__main__"]
)
def test_script_help(module, capsys):
    main = importlib.import_module(module).main
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "usage" in capsys.readouterr().out.lower()


def test_serve_workers_share_one_socket(sample_data):
    """`kennisbank serve --workers 2`: pre-forked processes answer on one port, and
    SIGTERM to the parent stops them all."""
    port = _free_port()
    cmd = [sys.executable, "-m", "search_app.cli", "serve", "--data-dir", str(sample_data)]
    cmd += ["--port", str(port), "--workers", "2", "--threads", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        answers = []
        deadline = time.monotonic() + 60
        while len(answers) < 6 and time.monotonic() < deadline:
            url = f"http://127.0.0.1:{port}/api/v1/search?q=jeugdraad"
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    answers.append(json.load(resp)["total"])
            except OSError:
                time.sleep(0.2)
        assert len(answers) == 6 and len(set(answers)) == 1 and answers[0] > 0
        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
