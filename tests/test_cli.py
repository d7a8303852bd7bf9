"""The `kennisbank` command line, through click's runner and a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from search_app.cli import main


def test_every_command_has_help():
    runner = CliRunner()
    for command in ("crawl", "index", "serve", "status"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0, result.output
        assert "--data-dir" in result.output


def test_serve_first_run_builds_sample_index(tmp_path):
    data_dir = tmp_path / "fresh"
    result = CliRunner().invoke(main, ["serve", "--build-only", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "Eerste start" in result.output
    assert (data_dir / "index" / "CURRENT").is_file()
    status = CliRunner().invoke(main, ["status", "--data-dir", str(data_dir)])
    assert status.exit_code == 0 and "voorbeeldcollectie" in status.output
    # A second start finds the index and builds nothing.
    again = CliRunner().invoke(main, ["serve", "--build-only", "--data-dir", str(data_dir)])
    assert again.exit_code == 0 and "Eerste start" not in again.output


def test_data_dir_from_environment(tmp_path):
    env = {**os.environ, "KENNISBANK_DATA": str(tmp_path / "viaenv")}
    proc = subprocess.run(
        [sys.executable, "-m", "search_app.cli", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(tmp_path / "viaenv") in proc.stdout


def test_index_without_crawl_store_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["index", "--data-dir", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "kennisbank crawl" in result.output


def test_serve_workers_without_prefork_says_what_to_do(sample_data, monkeypatch):
    """Where gunicorn's pre-fork cannot run (no fork(): Windows), --workers > 1 stops
    with one line that says to use one process; waitress serves that everywhere."""
    from search_app import serving

    monkeypatch.setattr(serving, "prefork_available", lambda: False)
    result = CliRunner().invoke(
        main, ["serve", "--data-dir", str(sample_data), "--workers", "2", "--port", "0"]
    )
    assert result.exit_code == 1
    assert "start met --workers 1" in result.output
    assert "Traceback" not in result.output
