"""A lost, truncated or emptied crawl store never empties the search by itself, and a
read-only data dir can be served: `status`, the "Bronnen" page and the search work on
it (SQLite opened read-only, or immutable where it cannot make its -shm file)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.store import CrawlStore, StoreError
from indexer.build import BuildInfo, current_build
from search_app.cli import main

from .helpers import data_dir_with, ordinary


@pytest.fixture
def data(tmp_path) -> Path:
    return data_dir_with(tmp_path / "data", ordinary(30))


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def _documents_in_index(data: Path) -> int:
    return BuildInfo.read(current_build(data)).documents


def test_a_zero_length_store_is_not_taken_for_a_new_one(data):
    store = data / "crawl.sqlite"
    for extra in ("-wal", "-shm"):
        (data / f"crawl.sqlite{extra}").unlink(missing_ok=True)
    store.write_bytes(b"")
    status = _cli("status", "--data-dir", str(data))
    assert status.exit_code == 1 and "empty file" in status.output
    assert store.stat().st_size == 0  # nothing was written into it
    index = _cli("index", "--data-dir", str(data))
    assert index.exit_code == 1 and "empty file" in index.output
    assert _documents_in_index(data) == 30
    with pytest.raises(StoreError, match="empty file"):
        CrawlStore(store)  # nor by a crawl
    assert store.stat().st_size == 0


def test_an_emptied_store_never_empties_the_index(data):
    with CrawlStore(data / "crawl.sqlite") as db:
        db._db.execute("DELETE FROM pages")
    for args in (["index"], ["index", "--rebuild"]):
        refused = _cli(*args, "--data-dir", str(data))
        assert refused.exit_code == 1
        assert "holds no documents" in refused.output
        assert _documents_in_index(data) == 30


def test_a_store_that_lost_most_documents_needs_rebuild(data):
    with CrawlStore(data / "crawl.sqlite") as db:
        db._db.execute("DELETE FROM pages WHERE url NOT LIKE '%pagina-1_'")  # 20 of 30
    refused = _cli("index", "--data-dir", str(data))
    assert refused.exit_code == 1
    assert "--rebuild" in refused.output and "10 documents" in refused.output
    assert _documents_in_index(data) == 30
    told = _cli("index", "--rebuild", "--data-dir", str(data))
    assert told.exit_code == 0, told.output
    assert _documents_in_index(data) == 10


def test_a_missing_store_is_refused(data):
    (data / "crawl.sqlite").unlink()
    result = _cli("index", "--data-dir", str(data))
    assert result.exit_code == 1 and "no crawl store" in result.output
    assert _documents_in_index(data) == 30


def test_a_small_loss_still_updates(data):
    with CrawlStore(data / "crawl.sqlite") as db:
        db._db.execute("DELETE FROM pages WHERE url LIKE '%pagina-1_'")  # 10 of 30
    result = _cli("index", "--data-dir", str(data))
    assert result.exit_code == 0, result.output
    assert _documents_in_index(data) == 20


# --- a read-only data dir -----------------------------------------------------------

DRIVER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from click.testing import CliRunner
    from search_app import create_app
    from search_app.cli import main

    data = Path(sys.argv[1])
    out = {}
    try:
        (data / "probe").write_text("x")
        out["writable"] = True
    except OSError:
        out["writable"] = False
    for name, args in {"status": ["status"], "serve": ["serve", "--build-only"]}.items():
        result = CliRunner().invoke(main, [*args, "--data-dir", str(data)])
        out[name] = [result.exit_code, result.output[-400:]]
    client = create_app({"TESTING": True, "DATA_DIR": str(data)}).test_client()
    for url in ("/bronnen", "/?q=jeugdraad", "/api/v1/search?q=jeugdraad"):
        resp = client.get(url)
        out[url] = [resp.status_code, resp.get_data(as_text=True)[-300:]]
    print(json.dumps(out))
    """
)


def _read_only_run(data: Path) -> dict:
    """Run DRIVER with `data` mounted read-only (a private mount namespace, so nothing
    outside the test sees the mount), or, when not root, with write bits removed."""
    script = [sys.executable, "-c", DRIVER, str(data)]
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("root without unshare: cannot make a read-only data dir")
        quoted = " ".join(f"'{a}'" for a in script[1:])
        shell = (
            f"mount --bind '{data}' '{data}' && mount -o remount,bind,ro '{data}' && "
            f"exec '{sys.executable}' {quoted}"
        )
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", shell]
    else:
        for path in [data, *data.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        cmd = script
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 and "mount" in done.stderr:
        pytest.skip(f"cannot mount read-only here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_status_bronnen_and_search_work_on_a_read_only_data_dir(data):
    # As a finished crawl leaves it: no -wal or -shm file (SQLite wants to create the
    # -shm even to read a WAL database, which a read-only folder does not allow).
    for extra in ("-wal", "-shm"):
        (data / f"crawl.sqlite{extra}").unlink(missing_ok=True)
    before = sorted(p.name for p in data.rglob("*"))
    out = _read_only_run(data)
    assert out["writable"] is False
    assert out["status"][0] == 0, out["status"]
    assert "index: 30 documenten" in out["status"][1]
    assert out["serve"][0] == 0, out["serve"]
    for url in ("/bronnen", "/?q=jeugdraad", "/api/v1/search?q=jeugdraad"):
        assert out[url][0] == 200, (url, out[url])
    assert sorted(p.name for p in data.rglob("*")) == before
