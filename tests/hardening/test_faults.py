"""Faults and crashes, with real subprocesses: SIGKILL during `kennisbank index`, a full
disk during crawl and index (RLIMIT_FSIZE with SIGXFSZ ignored: writes past the limit
fail with EFBIG, as on a full disk), and `kennisbank serve` on a corrupt or missing
index or crawl store. In every case the previous index keeps serving and the user
gets a clear message, never a traceback.

SIGKILL during a crawl (several kill points, resume) is in
tests/crawler/test_crawl_runs.py::test_sigkill_mid_crawl_then_resume_without_refetching.
"""

from __future__ import annotations

import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from crawler.store import CrawlStore
from indexer.build import current_build, index_root

CLI = [sys.executable, "-c", "from search_app.cli import main; main()"]


def _copy_data(sample_data: Path, dest: Path) -> Path:
    """A private copy of the sample data dir (crawl store and current index)."""
    shutil.copytree(sample_data, dest, ignore=shutil.ignore_patterns("*.lock"))
    return dest


def _all_ids(data_dir: Path) -> list[str]:
    """Every document the served index holds (a search counts each publication once,
    so the index itself is read)."""
    ix = whoosh_index.open_dir(str(current_build(data_dir)))
    with ix.searcher() as searcher:
        return [fields["id"] for fields in searcher.all_stored_fields()]


def _store_count(data_dir: Path) -> int:
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        return sum(1 for _ in store.document_versions())


def _run(args: list[str], limit_bytes: int | None = None, timeout: float = 120):
    def _limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        CLI + args,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit if limit_bytes else None,
    )


def _assert_clear_failure(proc, *words: str) -> None:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().startswith("kennisbank:") or "kennisbank:" in proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr


@pytest.mark.parametrize("kill_at", ["tmp-folder", "0.4s", "0.9s"])
def test_sigkill_during_index(sample_data, tmp_path, kill_at):
    data_dir = _copy_data(sample_data, tmp_path / "data")
    before = current_build(data_dir)
    ids_before = sorted(_all_ids(data_dir))
    proc = subprocess.Popen(
        [*CLI, "index", "--rebuild", "--quiet", "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        root = index_root(data_dir)
        deadline = time.monotonic() + 60
        if kill_at == "tmp-folder":
            while not any(p.name.endswith(".tmp") for p in root.iterdir()):
                assert proc.poll() is None, "the build ended before it could be killed"
                assert time.monotonic() < deadline
                time.sleep(0.005)
        else:
            time.sleep(float(kill_at.rstrip("s")))
        finished_first = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    if not finished_first:
        assert proc.returncode == -signal.SIGKILL
        # The serving index is the previous, complete one.
        assert current_build(data_dir) == before
    assert sorted(_all_ids(data_dir)) == ids_before
    # The next run completes, and nothing is lost or doubled.
    done = _run(["index", "--quiet", "--data-dir", str(data_dir)])
    assert done.returncode == 0, done.stderr
    ids = _all_ids(data_dir)
    assert len(ids) == len(set(ids)) == _store_count(data_dir)
    assert sorted(ids) == ids_before
    assert not [p for p in index_root(data_dir).iterdir() if p.name.endswith(".tmp")]


def test_disk_full_during_index(sample_data, tmp_path):
    data_dir = _copy_data(sample_data, tmp_path / "data")
    before = current_build(data_dir)
    ids_before = sorted(_all_ids(data_dir))
    proc = _run(["index", "--rebuild", "--quiet", "--data-dir", str(data_dir)], 64 * 1024)
    _assert_clear_failure(proc)
    assert "File too large" in proc.stderr or "No space" in proc.stderr
    assert current_build(data_dir) == before
    assert sorted(_all_ids(data_dir)) == ids_before
    # The half-written build is gone; with space again the build completes.
    assert not [p for p in index_root(data_dir).iterdir() if p.name.endswith(".tmp")]
    assert _run(["index", "--rebuild", "--quiet", "--data-dir", str(data_dir)]).returncode == 0
    assert sorted(_all_ids(data_dir)) == ids_before


def test_disk_full_during_crawl(sample_data, tmp_path, mirror):
    data_dir = _copy_data(sample_data, tmp_path / "data")
    ids_before = sorted(_all_ids(data_dir))
    # Every file in the data dir is already larger than this: any growth fails.
    limit = 16 * 1024
    proc = _run(
        ["crawl", "--quiet", "--route", mirror.url, "--data-dir", str(data_dir)],
        limit,
        timeout=180,
    )
    _assert_clear_failure(proc)
    assert sorted(_all_ids(data_dir)) == ids_before
    # The store is still readable after the failed writes.
    assert _store_count(data_dir) == len(ids_before)


def _serve(data_dir: Path):
    return _run(["serve", "--port", "0", "--data-dir", str(data_dir)], timeout=60)


def test_serve_with_corrupt_index(sample_data, tmp_path):
    data_dir = _copy_data(sample_data, tmp_path / "data")
    build = current_build(data_dir)
    for path in build.iterdir():
        if path.suffix in (".toc", ".seg", ".trm", ".pst") or path.name.startswith("_MAIN"):
            path.write_bytes(b"\x00garbage" * 10)
    proc = _serve(data_dir)
    _assert_clear_failure(proc, "kennisbank index --rebuild")


def test_serve_with_index_folder_gone_rebuilds_from_store(sample_data, tmp_path):
    data_dir = _copy_data(sample_data, tmp_path / "data")
    shutil.rmtree(current_build(data_dir))
    proc = _run(["serve", "--build-only", "--data-dir", str(data_dir)], timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert current_build(data_dir) is not None


def test_serve_with_corrupt_crawl_store_and_no_index(sample_data, tmp_path):
    data_dir = _copy_data(sample_data, tmp_path / "data")
    shutil.rmtree(index_root(data_dir))
    (data_dir / "crawl.sqlite").write_bytes(b"this is not a database" * 100)
    for extra in ("crawl.sqlite-wal", "crawl.sqlite-shm"):
        (data_dir / extra).unlink(missing_ok=True)
    proc = _serve(data_dir)
    _assert_clear_failure(proc, "crawl store")


def test_serve_with_build_info_missing(sample_data, tmp_path):
    data_dir = _copy_data(sample_data, tmp_path / "data")
    (current_build(data_dir) / "build.json").unlink()
    proc = _run(["serve", "--build-only", "--data-dir", str(data_dir)], timeout=120)
    # No complete index is there: one is built from the crawl store, no traceback.
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_serve_on_a_data_dir_that_is_a_file(tmp_path):
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("x")
    proc = _serve(not_a_dir)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr


def test_serve_default_host_is_loopback():
    from search_app.cli import serve

    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1"
