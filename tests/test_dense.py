"""Dense storage: the embedding caches (indexer/embedcache.py), the per-build files
(indexer/dense_write.py) and their reader (indexer/dense_read.py).

Storage is tested with deterministic random unit vectors (what is stored does not
matter to it); what the model gives is tested in test_embedder.py and test_embed_build.py.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from indexer import dense_read, dense_write
from indexer.dense_read import MISSING, DenseIndex, DenseUnavailable
from indexer.dense_write import DenseWriter
from indexer.embedcache import EmbeddingCache, ShippedCache, take, write_shipped
from indexer.embedder import DIM


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _build(tmp_path, n_docs: int, seed: int = 1, passages=(1, 5)):
    """A build folder with `n_docs` documents of 1-4 passages; returns the vectors per
    document id."""
    rng = np.random.default_rng(seed)
    writer = DenseWriter(tmp_path, scheme="s", model_id="m", max_passages=8)
    docs = {}
    for d in range(n_docs):
        n = int(rng.integers(*passages))
        vecs = _unit(rng, n)
        spans = [(0, 0)] + [(100 * k, 100 * k + 90) for k in range(1, n)]
        writer.add(f"doc{d}", f"hash{d}", vecs, spans)
        docs[f"doc{d}"] = vecs.astype(np.float16).astype(np.float32)
    summary = writer.finish()
    assert (summary.documents, summary.passages) == (n_docs, sum(len(v) for v in docs.values()))
    return docs


def _brute(docs, docnum_of, q):
    out = {}
    for i, vecs in docs.items():
        s = vecs @ q
        out[docnum_of[i]] = (float(s.max()), int(s.argmax()))
    return out


def test_best_passages_are_exact(tmp_path):
    docs = _build(tmp_path, 50)
    # Whoosh docnums in another order than the rows, one document unknown to the searcher.
    docnum_of = {f"doc{d}": 49 - d for d in range(49)}
    index = DenseIndex(tmp_path, docnum_of, n_docnums=52)
    q = _unit(np.random.default_rng(9), 1)[0]
    want = _brute({i: v for i, v in docs.items() if i in docnum_of}, docnum_of, q)
    scores, best = index.best_passages(q)
    assert scores.shape == (52,) and scores.dtype == np.float32
    for docnum, (score, passage) in want.items():
        assert scores[docnum] == pytest.approx(score, abs=1e-5)
        assert best[docnum] == passage
    assert scores[50] == MISSING and best[50] == -1  # a docnum without vectors
    some = np.array([3, 50, 7, 99, -1])
    s2, b2 = index.best_passages(q, some)
    assert s2[0] == pytest.approx(want[3][0], abs=1e-5) and b2[2] == want[7][1]
    assert list(b2[[1, 3, 4]]) == [-1, -1, -1]


def test_spans_and_counts(tmp_path):
    docs = _build(tmp_path, 5)
    index = DenseIndex(tmp_path, {f"doc{d}": d for d in range(5)})
    for d in range(5):
        n = len(docs[f"doc{d}"])
        assert index.passage_count(d) == n
        assert index.span(d, 0) == (0, 0)
        if n > 1:
            assert index.span(d, 1) == (100, 190)
        assert index.span(d, n) == (0, 0)
    assert index.span(77, 0) == (0, 0)


def test_candidates_on_a_small_index_follow_the_best_passage(tmp_path):
    docs = _build(tmp_path, 40)
    docnum_of = {f"doc{d}": d for d in range(40)}
    index = DenseIndex(tmp_path, docnum_of)
    q = _unit(np.random.default_rng(3), 1)[0]
    want = sorted(_brute(docs, docnum_of, q).items(), key=lambda kv: -kv[1][0])
    assert list(index.candidates(q, 10)) == [docnum for docnum, _ in want[:10]]
    mask = np.zeros(40, bool)
    mask[::2] = True
    got = index.candidates(q, 5, mask=mask)
    assert len(got) == 5 and all(d % 2 == 0 for d in got)
    assert list(got) == [d for d, _ in want if d % 2 == 0][:5]


def test_coarse_candidates_on_a_large_index(tmp_path, monkeypatch):
    """The PCA-reduced passage matrix finds the documents a full scan ranks first.
    Documents are clustered like real ones (random vectors would have no structure)."""
    monkeypatch.setattr(dense_write, "COARSE_MIN_PASSAGES", 100)
    monkeypatch.setattr(dense_read, "EXACT_LIMIT", 10)
    rng = np.random.default_rng(5)
    topics = _unit(rng, 30)
    writer = DenseWriter(tmp_path, scheme="s", model_id="m", max_passages=8)
    docs = {}
    for d in range(600):
        base = topics[d % 30] + 0.6 * _unit(rng, 1)[0]
        vecs = base + 0.4 * _unit(rng, 3)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        writer.add(f"doc{d}", f"h{d}", vecs, [(0, 0)] * 3)
        docs[f"doc{d}"] = vecs.astype(np.float16).astype(np.float32)
    assert writer.finish().coarse_dim == dense_write.COARSE_DIM
    docnum_of = {f"doc{d}": d for d in range(600)}
    index = DenseIndex(tmp_path, docnum_of)
    assert not index.small
    q = topics[4] + 0.5 * _unit(rng, 1)[0]
    q /= np.linalg.norm(q)
    exact = sorted(_brute(docs, docnum_of, q).items(), key=lambda kv: -kv[1][0])
    top10 = {d for d, _ in exact[:10]}
    assert len(top10 & set(index.candidates(q, 50))) >= 9
    scores, _ = index.best_passages(q, np.arange(600))  # the chunked exact path
    assert scores[exact[0][0]] == pytest.approx(exact[0][1][0], abs=1e-5)


def test_similar_documents(tmp_path):
    rng = np.random.default_rng(2)
    writer = DenseWriter(tmp_path, scheme="s", model_id="m", max_passages=8)
    base = _unit(rng, 1)[0]
    for d in range(20):
        vecs = _unit(rng, 2) + (3 * base if d < 3 else 0)
        writer.add(f"doc{d}", f"h{d}", vecs / np.linalg.norm(vecs, axis=1, keepdims=True),
                   [(0, 0), (0, 5)])  # fmt: skip
    writer.finish()
    index = DenseIndex(tmp_path, {f"doc{d}": d for d in range(20)})
    docnums, scores = index.similar(0, 2)
    assert set(docnums) == {1, 2} and scores[0] >= scores[1]
    vecs, rows = index.doc_vectors()
    assert vecs.shape == (20, DIM) and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-3)
    assert list(rows) == list(range(20))


def test_missing_or_damaged_files_mean_no_vectors(tmp_path):
    with pytest.raises(DenseUnavailable):
        DenseIndex(tmp_path, {})
    _build(tmp_path, 3)
    with pytest.raises(DenseUnavailable, match="not of"):
        DenseIndex(tmp_path, {"doc0": 0}, model_id="another-model")
    with open(tmp_path / dense_write.VECTORS, "r+b") as fh:
        fh.truncate(100)
    with pytest.raises(DenseUnavailable, match="unreadable"):
        DenseIndex(tmp_path, {"doc0": 0})


def test_an_aborted_writer_leaves_nothing(tmp_path):
    writer = DenseWriter(tmp_path, scheme="s", model_id="m", max_passages=8)
    writer.add("doc0", "h", _unit(np.random.default_rng(1), 2), [(0, 0), (0, 4)])
    with pytest.raises(ValueError, match="spans"):
        writer.add("doc1", "h", _unit(np.random.default_rng(1), 2), [(0, 0)])
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_metadata_names_scheme_and_model(tmp_path):
    _build(tmp_path, 2)
    meta = json.loads((tmp_path / dense_write.META).read_text())
    assert (meta["scheme"], meta["model_id"], meta["ids"]) == ("s", "m", ["doc0", "doc1"])


# --- caches -----------------------------------------------------------------


def test_data_dir_cache_round_trip(tmp_path):
    rng = np.random.default_rng(4)
    a, b = _unit(rng, 3), _unit(rng, 1)
    path = tmp_path / "embeddings.sqlite"
    with EmbeddingCache(path, "s1", "m1") as cache:
        assert cache.put_many([("ha", a), ("hb", b)]) == 2
        got = cache.get_many(["ha", "hb", "hc"])
        assert set(got) == {"ha", "hb"} and got["ha"].dtype == np.float16
        assert np.allclose(got["ha"], a, atol=1e-3)
    # Another scheme or model does not see them; the same one does, after a reopen.
    with EmbeddingCache(path, "s2", "m1") as cache:
        assert cache.get_many(["ha"]) == {}
    with EmbeddingCache(path, "s1", "m2") as cache:
        assert cache.get_many(["ha"]) == {}
    with EmbeddingCache(path, "s1", "m1") as cache:
        assert len(cache) == 2
        assert np.array_equal(cache.get_many(["hb"])["hb"], b.astype(np.float16))


def test_cache_takes_a_prefix_of_longer_entries():
    v = np.zeros((5, DIM), np.float16)
    assert take(v, 3).shape == (3, DIM)
    assert take(v, 6) is None
    assert take(None, 1) is None


def test_a_garbled_cache_is_set_aside(tmp_path):
    path = tmp_path / "embeddings.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with EmbeddingCache(path, "s", "m") as cache:
        assert cache.get_many(["x"]) == {}
        cache.put_many([("x", np.zeros((1, DIM)))])
    assert (tmp_path / "embeddings.sqlite.broken").exists()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM embeddings").fetchone() == (1,)


def test_shipped_cache_round_trip(tmp_path):
    rng = np.random.default_rng(6)
    items = {"h1": _unit(rng, 2), "h2": _unit(rng, 4)}
    path = tmp_path / "shipped.npz"
    assert write_shipped(path, items, "s", "m") == (2, 6)
    shipped = ShippedCache(path, "s", "m")
    got = shipped.get_many(["h2", "nope"])
    assert list(got) == ["h2"] and np.allclose(got["h2"], items["h2"], atol=1e-3)
    assert len(ShippedCache(path, "other-scheme", "m")) == 0
    assert len(ShippedCache(path, "s", "other-model")) == 0
    assert len(ShippedCache(tmp_path / "absent.npz", "s", "m")) == 0
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    assert len(ShippedCache(tmp_path / "bad.npz", "s", "m")) == 0


def test_dense_benchmark_runs(tmp_path, capsys):
    from bench.dense import main

    assert main(["-n", "300", "--k", "20", "--queries", "4", "--work-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "COMPOSED" in out and "| 300 |" in out


def test_a_cache_killed_mid_write_keeps_whole_batches(tmp_path):
    """SIGKILL while a batch is written: the cache opens, and holds whole batches only."""
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "embeddings.sqlite"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, numpy as np\n"
            "from indexer.embedcache import EmbeddingCache\n"
            f"cache = EmbeddingCache({str(path)!r}, 's', 'm')\n"
            "cache.put_many([('first', np.ones((2, 384)))])\n"
            "print('ready', flush=True)\n"
            "for b in range(10_000):\n"
            "    cache.put_many((f'{b}-{i}', np.ones((3, 384))) for i in range(500))\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.5)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
    with EmbeddingCache(path, "s", "m") as cache:
        assert cache.get_many(["first"])["first"].shape == (2, DIM)
        assert (len(cache) - 1) % 500 == 0
