"""An index written by an earlier release (tests/data/index-v1, see its README.md) opens
and answers with the current code: the classes Whoosh pickled into it are still at their
pinned import paths, its vector file passes the self-check, its older build.json reads."""

from __future__ import annotations

import importlib
import pickletools
import shutil
from pathlib import Path

import pytest

from indexer.analysis import PINNED_CLASSES
from indexer.build import BuildInfo, current_build
from indexer.embedder import ENV_SWITCH
from indexer.engine import SearchIndex, SearchRequest

FIXTURE = Path(__file__).parent / "data" / "index-v1"


@pytest.fixture
def old_data(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(ENV_SWITCH, "0")
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    return data


def _pickled_globals(toc: Path) -> set[str]:
    """`module.Name` of every class from this project the TOC's pickle names."""
    data = toc.read_bytes()
    names = set()
    strings: list[str] = []
    for op, arg, _ in pickletools.genops(data[data.index(b"\x80") :]):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            names.add(f"{strings[-2]}.{strings[-1]}")
        elif op.name == "GLOBAL":
            names.add(arg.replace(" ", "."))
    return {n for n in names if n.split(".")[0] in ("indexer", "crawler", "search_app")}


def test_the_classes_pickled_into_the_old_index_are_at_their_pinned_paths():
    (toc,) = FIXTURE.glob("index/build-*/_MAIN_*.toc")
    pickled = _pickled_globals(toc)
    assert pickled and pickled <= set(PINNED_CLASSES)
    for path in PINNED_CLASSES:
        module, name = path.rsplit(".", 1)
        assert isinstance(getattr(importlib.import_module(module), name), type), path


def test_the_old_index_opens_and_answers(old_data):
    index = SearchIndex(old_data)
    result = index.search(SearchRequest(query="speelstraat"))
    assert [h.url for h in result.hits] == ["https://www.vvsg.be/oud/speelstraat"]
    # Decompounding and stemming as when it was built: "jeugdbeleid" is a part of
    # "meerjarenplan jeugdbeleid", "jongeren" stems to what both pages hold.
    assert index.search(SearchRequest(query="jongeren")).total == 2
    phrase = index.search(SearchRequest(query='"lokaal jeugdbeleid"'))
    assert [h.url for h in phrase.hits] == ["https://www.debattle.be/oud/beleidsplan"]
    everything = index.search(SearchRequest(query=""))
    assert everything.total == 6
    sites = {f.value: f.count for f in everything.facets["site"]}
    assert sites == {"vvsg.be": 2, "kekidi.be": 2, "debattle.be": 2}


def test_its_build_info_from_before_the_analysis_record_reads(old_data):
    info = BuildInfo.read(current_build(old_data))
    assert info.documents == 6
    assert info.analysis_version == 0 and info.lang_hash == ""  # recorded by later builds
