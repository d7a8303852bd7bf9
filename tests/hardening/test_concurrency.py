"""A crawl, an index rebuild and a running server (waitress on 127.0.0.1) at the same
time: no LockError reaches anyone, no request fails, and the server switches to the
new index once it is complete. One writer at a time is the writer lock's job
(indexer/build.py), not luck: both writers finish, one after the other.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from indexer.build import BuildInfo, current_build
from search_app import create_app, search_index, settings

CLI = [sys.executable, "-c", "from search_app.cli import main; main()"]


class Hammer(threading.Thread):
    """Searches until stopped (or 2,000 requests, or 90 s), recording every failure."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.failures: list[str] = []

    def run(self) -> None:
        ends = time.monotonic() + 90
        queries = ["jeugdraad", "speelpleinen", "kinderen stad", '"jeugdbeleid"', "xyzzy"]
        with requests.Session() as session:
            for i in range(2_000):
                if self.stop.is_set() or time.monotonic() > ends:
                    return
                path = "/api/v1/search" if i % 2 else "/"
                try:
                    resp = session.get(
                        self.base + path, params={"q": queries[i % len(queries)]}, timeout=10
                    )
                except requests.RequestException as exc:
                    self.failures.append(repr(exc))
                    continue
                self.statuses.append(resp.status_code)
                if resp.status_code != 200 or "LockError" in resp.text:
                    self.failures.append(f"{resp.status_code} {resp.text[:200]}")


@pytest.mark.slow
def test_crawl_index_and_server_at_the_same_time(sample_data, tmp_path, mirror, serve):
    data_dir = tmp_path / "data"
    shutil.copytree(sample_data, data_dir, ignore=shutil.ignore_patterns("*.lock"))
    sources = tmp_path / "sources.toml"
    text = Path(settings.SOURCES_FILE).read_text(encoding="utf-8")
    sources.write_text(text.replace("delay = 1.0", "delay = 0.0"), encoding="utf-8")
    before = current_build(data_dir)

    app = create_app({"DATA_DIR": str(data_dir)})
    with serve(app, threads=4) as base_url:
        hammer = Hammer(base_url)
        try:
            hammer.start()
            time.sleep(0.3)
            rebuild = subprocess.Popen(
                [*CLI, "index", "--rebuild", "--quiet", "--data-dir", str(data_dir)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            crawl = subprocess.Popen(
                [
                    *CLI,
                    "crawl",
                    "--quiet",
                    "--sources",
                    str(sources),
                    "--source",
                    "debattle",
                    "--route",
                    mirror.url,
                    "--data-dir",
                    str(data_dir),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            rebuild_out, rebuild_err = rebuild.communicate(timeout=180)
            crawl_out, crawl_err = crawl.communicate(timeout=180)
            after = current_build(data_dir)
            # The running server picks the new build up (CURRENT is rechecked every second).
            deadline = time.monotonic() + 10
            while search_index(app).info().version != BuildInfo.read(after).version:
                assert time.monotonic() < deadline, "the server never switched to the new index"
                time.sleep(0.2)
            time.sleep(0.5)  # a few requests on the new index too
        finally:
            hammer.stop.set()
            hammer.join(timeout=30)
    assert rebuild.returncode == 0, rebuild_err
    assert crawl.returncode == 0, crawl_err
    for output in (rebuild_err, crawl_err, crawl_out, rebuild_out):
        assert "LockError" not in output and "Traceback" not in output
    assert after is not None and after != before
    assert hammer.failures == []
    assert len(hammer.statuses) >= 20
