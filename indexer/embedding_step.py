"""The embedding step of an index build: passage vectors for every document.

Called by `indexer/build.py` after the Whoosh commit, before the build is swapped in
(so search goes on from the old build while this runs). For every document, its
passage vectors come from the first place that has them:

1. the previous build, when the document's content hash, the passage scheme, the
   passage cap and the model are unchanged (nothing is read from the crawl store);
2. the cache shipped with the sample corpus (`corpus/embeddings/sample-e5.npz`);
3. the data dir's cache (`embeddings.sqlite`);
4. the sentence model, in batches, with a progress bar and its throughput logged.
   New vectors go into the data dir's cache at once, so a killed build loses little.

So an update that changed N documents embeds exactly those N, and a new model or
passage scheme embeds everything again. Without a sentence model (`get_embedder()` is
None) no dense files are written and the index serves search by words alone.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
from tqdm import tqdm

from crawler.store import CrawlStore

from . import dense_write, passages
from .embedcache import CACHE_FILE, EmbeddingCache, ShippedCache, take
from .embedder import Embedder, get_embedder
from .schema import doc_id

log = logging.getLogger(__name__)

# The sample corpus's vectors, package data of `corpus` (so a wheel install has them).
SHIPPED_CACHE = Path(str(files("corpus").joinpath("embeddings", "sample-e5.npz")))
# Passages per call into the model, gathered across documents.
BATCH_PASSAGES = 32
__all__ = ["CACHE_FILE", "EmbedReport", "dense_up_to_date", "embed_build"]


@dataclass
class EmbedReport:
    """What the embedding step did (figures for the log and for benchmarks)."""

    documents: int = 0
    passages: int = 0
    from_previous: int = 0
    from_shipped: int = 0
    from_cache: int = 0
    embedded_documents: int = 0
    embedded_passages: int = 0
    embedded_tokens: int = 0
    embed_seconds: float = 0.0
    seconds: float = 0.0
    model_id: str = ""
    skipped: str = ""  # why no dense files were written
    missing: list[str] = field(default_factory=list)  # ids gone from the store meanwhile

    def throughput(self) -> str:
        s = max(self.embed_seconds, 1e-9)
        return (
            f"{self.embedded_passages / s:.1f} passages/s, {self.embedded_tokens / s:.0f} "
            f"tokens/s, {self.embedded_documents / s:.2f} documents/s"
        )


def content_hash_of(manifest_value: str) -> str:
    """A build manifest's value is the content hash, maybe followed by ` dup:<group>`."""
    return manifest_value.split(" ", 1)[0]


class _Previous:
    """The previous build's vectors, by document id, when they were made the same way."""

    def __init__(self, build_dir: Path | None, meta: dict) -> None:
        self.rows: dict[str, tuple[str, int, int]] = {}
        if build_dir is None:
            return
        try:
            old = json.loads((build_dir / dense_write.META).read_text(encoding="utf-8"))
            if any(old.get(k) != v for k, v in meta.items()):
                log.info("previous build's vectors were made otherwise: embedding anew")
                return
            offsets = np.fromfile(build_dir / dense_write.OFFSETS, dtype=np.int32)
            p = int(offsets[-1])
            self.vectors = np.memmap(
                build_dir / dense_write.VECTORS, np.float16, "r", shape=(p, meta["dim"])
            )
            self.spans = np.fromfile(build_dir / dense_write.SPANS, dtype=np.int32).reshape(p, 2)
        except (OSError, ValueError, KeyError, IndexError) as exc:
            log.info("previous build's vectors not reusable: %s", exc)
            return
        for i, (doc, h) in enumerate(zip(old["ids"], old["hashes"], strict=True)):
            self.rows[doc] = (h, int(offsets[i]), int(offsets[i + 1]))

    def get(self, doc_id: str, content_hash: str) -> tuple[np.ndarray, np.ndarray] | None:
        row = self.rows.get(doc_id)
        if row is None or row[0] != content_hash:
            return None
        return np.asarray(self.vectors[row[1] : row[2]]), self.spans[row[1] : row[2]]


def embed_build(
    store: CrawlStore,
    build_dir: Path,
    *,
    hashes: dict[str, str],
    urls: dict[str, str],
    previous_build: Path | None,
    cache_path: Path,
    progress: bool = True,
    embedder: Embedder | None = None,
    shipped_path: Path = SHIPPED_CACHE,
) -> EmbedReport:
    """Write the dense files of `build_dir` for the documents `hashes` (id -> content
    hash, or a build manifest's value) whose URLs are `urls` (id -> URL)."""
    started = time.monotonic()
    report = EmbedReport()
    embedder = embedder if embedder is not None else get_embedder()
    if embedder is None:
        dense_write.remove_dense(build_dir)
        report.skipped = "no sentence model"
        return report
    report.model_id = embedder.model_id
    cap = passages.MAX_PASSAGES
    writer = dense_write.DenseWriter(
        build_dir, scheme=passages.SCHEME, model_id=embedder.model_id, max_passages=cap
    )
    try:
        previous = _Previous(
            previous_build,
            {
                "format": dense_write.FORMAT,
                "scheme": passages.SCHEME,
                "model_id": embedder.model_id,
                "max_passages": cap,
                "dim": embedder.dim,
            },
        )
        wanted = {i: content_hash_of(h) for i, h in hashes.items()}
        todo: list[str] = []
        for i, h in wanted.items():
            kept = previous.get(i, h)
            if kept is None:
                todo.append(i)
            else:
                writer.add(i, h, kept[0], kept[1])
                report.from_previous += 1
        del previous
        if todo:
            with EmbeddingCache(cache_path, passages.SCHEME, embedder.model_id) as cache:
                fill = _Fill(store, writer, embedder, cache, report)
                fill.run(todo, wanted, urls, shipped_path, progress)
        summary = writer.finish()
    except BaseException:
        writer.abort()
        raise
    report.documents, report.passages = summary.documents, summary.passages
    report.seconds = time.monotonic() - started
    log.info(
        "embeddings: %d documents, %d passages (%d from the previous build, %d shipped, "
        "%d cached, %d embedded) in %.1fs%s",
        report.documents,
        report.passages,
        report.from_previous,
        report.from_shipped,
        report.from_cache,
        report.embedded_documents,
        report.seconds,
        f"; model {report.throughput()}" if report.embedded_documents else "",
    )
    return report


def _documents(store: CrawlStore, ids: list[str], urls: dict[str, str], total: int):
    """The documents of `ids`: one by one when few, else by streaming the store."""
    if len(ids) < total // 2:
        for i in ids:
            yield i, store.document(urls[i])
        return
    wanted = set(ids)
    seen = set()
    for doc in store.documents():
        i = doc_id(doc.url)
        if i in wanted and i not in seen:
            seen.add(i)
            yield i, doc
    for i in wanted - seen:
        yield i, None


class _Fill:
    """Adds documents to the writer from the caches, or from the model in batches."""

    def __init__(
        self,
        store: CrawlStore,
        writer: dense_write.DenseWriter,
        embedder: Embedder,
        cache: EmbeddingCache,
        report: EmbedReport,
    ) -> None:
        self.store, self.writer, self.embedder = store, writer, embedder
        self.cache, self.report = cache, report
        self.pending: list[tuple[str, str, list[passages.Passage]]] = []
        self.bar: tqdm | None = None
        self.progress = False

    def run(
        self,
        todo: list[str],
        wanted: dict[str, str],
        urls: dict[str, str],
        shipped_path: Path,
        progress: bool,
    ) -> None:
        shipped = ShippedCache(shipped_path, passages.SCHEME, self.embedder.model_id)
        report = self.report
        self.progress = progress
        try:
            for group in _chunks(_documents(self.store, todo, urls, len(wanted)), 256):
                docs = [(i, d) for i, d in group if d is not None]
                report.missing.extend(i for i, d in group if d is None)
                # The document as read now: its hash is the key, also if it changed
                # since the build was planned.
                found = shipped.get_many(d.content_hash for _, d in docs)
                cached = self.cache.get_many(d.content_hash for _, d in docs)
                for i, doc in docs:
                    h = doc.content_hash
                    spans = passages.split_spans(doc)
                    vecs = take(found.get(h), len(spans))
                    if vecs is not None:
                        report.from_shipped += 1
                    else:
                        vecs = take(cached.get(h), len(spans))
                        report.from_cache += vecs is not None
                    if vecs is None:
                        self._queue(i, h, spans)
                    else:
                        self.writer.add(i, h, vecs, [(p.start, p.end) for p in spans])
            self._embed()
        finally:
            if self.bar is not None:
                self.bar.close()

    def _queue(self, i: str, h: str, spans: list[passages.Passage]) -> None:
        self.pending.append((i, h, spans))
        if self.bar is None:  # only when something is embedded
            self.bar = tqdm(
                desc="embed", unit="passage", disable=not self.progress, leave=False, total=0
            )
        self.bar.total += len(spans)
        self.bar.refresh()
        if sum(len(p[2]) for p in self.pending) >= BATCH_PASSAGES:
            self._embed()

    def _embed(self) -> None:
        """Embed the queued documents' passages in one call; add and cache them."""
        if not self.pending:
            return
        report = self.report
        texts = [p.text for _, _, spans in self.pending for p in spans]
        started = time.monotonic()
        vecs = self.embedder.passages(texts)
        report.embed_seconds += time.monotonic() - started
        report.embedded_tokens += sum(self.embedder.token_count(t) for t in texts)
        report.embedded_passages += len(texts)
        report.embedded_documents += len(self.pending)
        at = 0
        new = []
        for i, h, spans in self.pending:
            rows = vecs[at : at + len(spans)].astype(np.float16)
            at += len(spans)
            self.writer.add(i, h, rows, [(p.start, p.end) for p in spans])
            new.append((h, rows))
        self.pending = []
        self.cache.put_many(new)
        self.bar.update(len(texts))
        s = max(report.embed_seconds, 1e-9)
        self.bar.set_postfix(
            docs_s=f"{report.embedded_documents / s:.2f}",
            tok_s=f"{report.embedded_tokens / s:.0f}",
            refresh=False,
        )


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def dense_up_to_date(build_dir: Path) -> bool:
    """Whether a build has the dense files a build would write now (True when none can
    be written): else an update with no changed document still has work to do."""
    embedder = get_embedder()
    if embedder is None:
        return True
    try:
        meta = json.loads((build_dir / dense_write.META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        meta.get("format") == dense_write.FORMAT
        and meta.get("scheme") == passages.SCHEME
        and meta.get("model_id") == embedder.model_id
        and meta.get("max_passages") == passages.MAX_PASSAGES
    )
