"""Damaged index files: every entry point (status, export, serve, the web app) answers
"index damaged: run `kennisbank index --rebuild`" — never a traceback or a 500 — and
`kennisbank index` finds the damage and rebuilds by itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.build import current_build
from search_app import create_app
from search_app.cli import main

from .helpers import close_app, data_dir_with, ordinary

MESSAGE = "index damaged: run `kennisbank index --rebuild`"


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _zero(path: Path) -> None:
    path.write_bytes(b"\0" * path.stat().st_size)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _garble(path: Path) -> None:
    path.write_bytes(b'{"documents": 3')  # cut off mid-way


DAMAGE = {
    "truncated toc": (".toc", _truncate),
    "zeroed toc": (".toc", _zero),
    "emptied toc": (".toc", _empty),
    "zeroed postings": (".pst", _zero),
    "truncated terms": (".trm", _truncate),
    "zeroed terms": (".trm", _zero),
    "zeroed column": (".site.col", _zero),
    "emptied stored fields": ("_stored.col", _empty),
    "damaged manifest": ("manifest.json", _garble),
    "damaged build info": ("build.json", _garble),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return data_dir_with(tmp_path_factory.mktemp("pristine"), ordinary(30))


@pytest.fixture(params=list(DAMAGE))
def damaged(request, pristine, tmp_path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(pristine, data)
    suffix, harm = DAMAGE[request.param]
    build = current_build(data)
    targets = [p for p in build.iterdir() if p.name.endswith(suffix)]
    assert targets, suffix
    for path in targets:
        harm(path)
    return data


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def test_status_export_and_serve_say_damaged(damaged):
    for args in (
        ["status"],
        ["export", "-q", "jeugdraad", "--format", "jsonl"],
        ["serve", "--build-only"],
    ):
        result = _cli(*args, "--data-dir", str(damaged))
        assert result.exit_code == 1, (args, result.output, result.exception)
        assert isinstance(result.exception, SystemExit), result.exception
        assert MESSAGE in result.output, (args, result.output)


def test_the_web_app_answers_503_with_the_message(damaged):
    app = create_app({"TESTING": True, "DATA_DIR": str(damaged)})
    client = app.test_client()
    try:
        for url in ("/?q=jeugdraad", "/api/v1/search?q=jeugdraad", "/export?q=jeugdraad"):
            resp = client.get(url)
            assert resp.status_code == 503, (url, resp.status_code)
            assert MESSAGE in resp.get_data(as_text=True)
    finally:
        close_app(app)


def test_index_rebuilds_a_damaged_index_by_itself(damaged):
    result = _cli("index", "--data-dir", str(damaged))
    assert result.exit_code == 0, (result.output, result.exception)
    assert "index rebuild: 30 documenten" in result.output
    status = _cli("status", "--data-dir", str(damaged))
    assert status.exit_code == 0, status.output
    app = create_app({"TESTING": True, "DATA_DIR": str(damaged)})
    try:
        resp = app.test_client().get("/api/v1/search?q=jeugdraad")
        assert resp.status_code == 200 and resp.get_json()["total"] == 30
    finally:
        close_app(app)
