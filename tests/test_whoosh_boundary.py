"""The Whoosh boundary: only indexer/whoosh_internals.py reads Whoosh's private layout,
and opening an index compares a sample of the arrays with Whoosh's public reading of
the same postings, failing loud when they differ."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from indexer import integrity, vectors_file, whoosh_internals
from indexer.build import current_build, update_index
from indexer.embedder import ENV_SWITCH
from indexer.engine import IndexCorrupt, SearchIndex, SearchRequest

ROOT = Path(__file__).resolve().parents[1]
PRIVATE = re.compile(
    r"reader\._terms\b|\._codec\b|\._postfile|_read_ids|_lastblock|_nextoffset|whoosh\.codec"
)

TEXTS = [
    f"De jeugdraad van gemeente {n} vergadert over speelruimte en een speelstraat. " * 3
    + ("Kinderen spelen buiten. " * (n % 4))
    for n in range(150)
]


@pytest.fixture(autouse=True)
def _words_only(monkeypatch):
    """The boundary concerns the word index: no passage embeddings (they are slow)."""
    monkeypatch.setenv(ENV_SWITCH, "0")


def _index(texts_store, folder: Path) -> Path:
    texts_store(folder, TEXTS, path="grens", date="2025-03-01")
    update_index(folder, progress=False)
    return current_build(folder)


def _rewrite(build: Path, change) -> None:
    """Change the arrays of the build's one vector file, then renew the checksums, so
    that only the format check can notice (as after a Whoosh upgrade)."""
    (path,) = build.glob(f"{vectors_file.PREFIX}*{vectors_file.SUFFIX}")
    count, arrays = vectors_file.read(path)
    arrays = {k: np.array(v) for k, v in arrays.items()}
    change(arrays)
    vectors_file.write(path, count, arrays)
    integrity.write_checksums(build)


def test_only_the_internals_module_touches_whoosh_private_parts():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("indexer", "search_app", "crawler", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "whoosh_internals.py" and PRIVATE.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_an_index_whose_arrays_agree_with_whoosh_opens(texts_store, tmp_path):
    _index(texts_store, tmp_path)
    assert SearchIndex(tmp_path).search(SearchRequest(query="speelstraat")).total == len(TEXTS)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda a: a["body.positions"].__iadd__(1), id="positions"),
        pytest.param(lambda a: a["body.weights"].__imul__(2.0), id="weights"),
        pytest.param(lambda a: a["title.docs"].__setitem__(0, a["title.docs"][1]), id="docs"),
    ],
)
def test_arrays_that_disagree_with_whoosh_stop_the_open_with_a_clear_message(
    texts_store, tmp_path, change
):
    build = _index(texts_store, tmp_path)
    _rewrite(build, change)
    with pytest.raises(IndexCorrupt, match="index format not understood: rebuild with"):
        SearchIndex(tmp_path).search(SearchRequest(query="speelstraat"))


def test_a_changed_reading_of_whoosh_positions_is_caught_at_open(
    texts_store, tmp_path, monkeypatch
):
    """As if an upgrade changed how Whoosh stores positions: the build reads them
    wrongly, and the open notices before anything is ranked on them."""
    real = whoosh_internals.decode_positions

    def shifted(counts, deltas):
        counts_, positions = real(counts, deltas)
        return counts_, positions + 1

    monkeypatch.setattr(whoosh_internals, "decode_positions", shifted)
    _index(texts_store, tmp_path)
    monkeypatch.setattr(whoosh_internals, "decode_positions", real)
    with pytest.raises(IndexCorrupt, match="index format not understood"):
        SearchIndex(tmp_path).search(SearchRequest(query="speelstraat"))


def test_the_sample_crosses_a_block_and_stays_small():
    post_ends = np.cumsum([3, 200, 900, 1, 5000, 40])
    picks = whoosh_internals._sample_terms(post_ends)
    counts = np.diff(post_ends, prepend=0)
    assert 1 in picks  # 200 postings: the most below the cap, more than one block
    assert all(counts[p] <= whoosh_internals.CHECK_MAX_POSTINGS for p in picks)
    assert len(picks) <= 3
