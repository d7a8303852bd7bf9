"""A build records the analysis it was made with (ANALYSIS_VERSION and a hash of the word
lists in corpus/lang); an update of a build made with another analysis rebuilds from
scratch and says why, instead of mixing two analyses in one index."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from indexer import analysis, integrity
from indexer.build import BuildInfo, current_build, update_index
from indexer.embedder import ENV_SWITCH

TEXTS = [
    "De gemeenteraad bespreekt het speelruimteplan voor de zomer.",
    "Jongeren vragen een fuifzaal in het centrum van de stad.",
    "Het jeugdwerk krijgt een nieuw lokaal naast de sporthal.",
]


@pytest.fixture(autouse=True)
def _words_only(monkeypatch):
    monkeypatch.setenv(ENV_SWITCH, "0")


def _store(texts_store, folder: Path, texts: list[str]) -> None:
    texts_store(folder, texts, path="analyse", date="2025-02-01")


def test_a_build_records_its_analysis(texts_store, tmp_path):
    _store(texts_store, tmp_path, TEXTS)
    update_index(tmp_path, progress=False)
    info = BuildInfo.read(current_build(tmp_path))
    assert info.analysis_version == analysis.ANALYSIS_VERSION
    assert info.lang_hash == analysis.lang_hash()


def test_an_update_with_the_same_analysis_is_an_update(texts_store, tmp_path):
    _store(texts_store, tmp_path, TEXTS)
    update_index(tmp_path, progress=False)
    _store(texts_store, tmp_path, [*TEXTS, "Een nieuwe speeltuin opent in de wijk."])
    assert update_index(tmp_path, progress=False).mode == "update"


def test_a_bumped_analysis_version_forces_a_rebuild(texts_store, tmp_path, monkeypatch, caplog):
    _store(texts_store, tmp_path, TEXTS)
    update_index(tmp_path, progress=False)
    monkeypatch.setattr(analysis, "ANALYSIS_VERSION", analysis.ANALYSIS_VERSION + 1)
    _store(texts_store, tmp_path, [*TEXTS, "Een nieuwe speeltuin opent in de wijk."])
    with caplog.at_level(logging.INFO, logger="indexer.build"):
        info = update_index(tmp_path, progress=False)
    assert info.mode == "rebuild" and info.documents == 4
    assert "built with analysis version 1, this code has 2: rebuilding" in caplog.text
    assert BuildInfo.read(current_build(tmp_path)).analysis_version == 2


def test_an_edited_word_list_forces_a_rebuild(texts_store, tmp_path, monkeypatch, caplog):
    _store(texts_store, tmp_path, TEXTS)
    update_index(tmp_path, progress=False)
    lang = tmp_path / "lang"
    shutil.copytree(Path(str(analysis.LANG_DIR)), lang)
    with (lang / "stopwords-nl.txt").open("a", encoding="utf-8") as fh:
        fh.write("gemeenteraad\n")
    # The word lists themselves are loaded (and cached for the process) from the real
    # folder first: only the hash is to see the edited copy, no later test.
    for load in (analysis.stopwords, analysis.stem_overrides, analysis.lexicon):
        load()
    analysis._lexicon_stems()
    analysis._lexicon_prefixes()
    monkeypatch.setattr(analysis, "LANG_DIR", lang)
    # Nothing changed in the store: without the hash this would be "unchanged".
    with caplog.at_level(logging.INFO, logger="indexer.build"):
        info = update_index(tmp_path, progress=False)
    assert info.mode == "rebuild"
    assert "built with other word lists (corpus/lang changed): rebuilding" in caplog.text
    assert BuildInfo.read(current_build(tmp_path)).lang_hash == analysis.lang_hash()


def test_a_build_from_before_the_record_is_rebuilt_once(texts_store, tmp_path, caplog):
    _store(texts_store, tmp_path, TEXTS)
    update_index(tmp_path, progress=False)
    info_file = current_build(tmp_path) / "build.json"
    old = json.loads(info_file.read_text(encoding="utf-8"))
    del old["analysis_version"], old["lang_hash"]
    info_file.write_text(json.dumps(old), encoding="utf-8")
    integrity.write_checksums(current_build(tmp_path))
    with caplog.at_level(logging.INFO, logger="indexer.build"):
        assert update_index(tmp_path, progress=False).mode == "rebuild"
    assert "analysis version 0" in caplog.text
    assert update_index(tmp_path, progress=False).mode == "unchanged"
