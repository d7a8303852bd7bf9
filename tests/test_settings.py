"""Settings come from one place, first match wins: the option, the environment, the data
dir, the bundled default; the bundled defaults are package data."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from corpus import resource_path
from search_app import settings
from search_app.cli import main


def test_sources_file_order(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    monkeypatch.delenv(settings.SOURCES_ENV, raising=False)
    assert settings.resolve_sources_file(None, data_dir) == settings.SOURCES_FILE
    (data_dir / "sources.toml").write_text("", encoding="utf-8")
    assert settings.resolve_sources_file(None, data_dir) == data_dir / "sources.toml"
    monkeypatch.setenv(settings.SOURCES_ENV, str(tmp_path / "env.toml"))
    assert settings.resolve_sources_file(None, data_dir) == tmp_path / "env.toml"
    assert settings.resolve_sources_file("opt.toml", data_dir) == Path("opt.toml")


def test_data_dir_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(settings.DATA_ENV, raising=False)
    assert settings.resolve_data_dir(None) == (tmp_path / settings.DEFAULT_DATA_DIR).resolve()
    monkeypatch.setenv(settings.DATA_ENV, str(tmp_path / "env"))
    assert settings.resolve_data_dir(None) == (tmp_path / "env").resolve()
    assert settings.resolve_data_dir(tmp_path / "opt") == (tmp_path / "opt").resolve()


def test_a_broken_sources_file_in_the_data_dir_is_the_one_read(tmp_path, monkeypatch):
    monkeypatch.delenv(settings.SOURCES_ENV, raising=False)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sources.toml").write_text("[[sources]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["crawl", "--no-index", "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert "sources.toml" in result.output


def test_bundled_resources_are_package_data():
    for parts in (("sources.toml",), ("lang", "synonyms.txt"), ("sites", "vvsg.be")):
        assert resource_path(*parts).exists(), parts
    assert settings.SAMPLE_SITES == resource_path("sites")
