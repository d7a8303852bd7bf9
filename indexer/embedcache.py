"""Embeddings kept between builds, so that a document is embedded once.

Passage vectors are keyed by (document content hash, passage scheme, model id) and
stored as float16, one (n_passages, 384) array per document. Two caches:

- `EmbeddingCache`: a SQLite file in the data dir (`embeddings.sqlite`, WAL). Every
  `put_many` is one transaction, so a build killed mid-write leaves the cache as it was
  before that batch. A cache file that cannot be read is set aside and started anew:
  it only saves time.
- `ShippedCache`: a read-only `.npz` shipped with the bundled sample corpus
  (`corpus/embeddings/`), so the first start builds in seconds, not minutes. Written by
  `corpus/tools/build_embeddings.py` through `write_shipped`.

An entry may hold more passages than a build needs: the passages kept under a smaller
cap are the first ones under a larger cap (`indexer/passages.py`). `take` checks that.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .embedder import DIM

log = logging.getLogger(__name__)

CACHE_FILE = "embeddings.sqlite"
SHIPPED_FORMAT = 1
_CHUNK = 500  # hashes per SELECT (SQLite's variable limit is 32766, keep it small)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    content_hash TEXT NOT NULL,
    scheme       TEXT NOT NULL,
    model_id     TEXT NOT NULL,
    passages     INTEGER NOT NULL,
    vectors      BLOB NOT NULL,          -- float16, (passages, 384), row-major
    PRIMARY KEY (content_hash, scheme, model_id)
) WITHOUT ROWID;
"""


def take(vectors: np.ndarray | None, needed: int) -> np.ndarray | None:
    """The first `needed` rows of a cached entry, or None if it holds fewer."""
    if vectors is None or vectors.shape[0] < needed:
        return None
    return vectors[:needed]


class EmbeddingCache:
    """The data dir's embedding cache for one (scheme, model id)."""

    def __init__(self, path: Path, scheme: str, model_id: str) -> None:
        self.path = Path(path)
        self.scheme = scheme
        self.model_id = model_id
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(self.path.name + ".broken")
            log.warning("embedding cache %s unreadable (%s): set aside as %s", path, exc, aside)
            for suffix in ("", "-wal", "-shm"):
                src = Path(str(self.path) + suffix)
                if src.exists():
                    src.replace(str(aside) + suffix)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            db.execute("SELECT count(*) FROM embeddings LIMIT 1").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_many(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """content hash -> float16 (n, 384) for the hashes that are cached."""
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT content_hash, passages, vectors FROM embeddings "
                f"WHERE scheme = ? AND model_id = ? AND content_hash IN ({marks})",
                (self.scheme, self.model_id, *chunk),
            )
            for content_hash, n, blob in rows:
                vecs = np.frombuffer(blob, dtype=np.float16)
                if vecs.size == n * DIM:
                    out[content_hash] = vecs.reshape(n, DIM)
        return out

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> int:
        """Store (content hash, (n, 384) vectors) pairs in one transaction."""
        rows = [
            (h, self.scheme, self.model_id, len(v), np.ascontiguousarray(v, np.float16).tobytes())
            for h, v in items
        ]
        if not rows:
            return 0
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?, ?)", rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return len(rows)

    def __len__(self) -> int:
        return self._db.execute(
            "SELECT count(*) FROM embeddings WHERE scheme = ? AND model_id = ?",
            (self.scheme, self.model_id),
        ).fetchone()[0]


class ShippedCache:
    """A read-only cache file shipped with the sample corpus. Empty when the file is
    missing, unreadable or made for another scheme or model."""

    def __init__(self, path: Path, scheme: str, model_id: str) -> None:
        self.path = Path(path)
        self._rows: dict[str, tuple[int, int]] = {}
        self._vectors = np.zeros((0, DIM), np.float16)
        if not self.path.is_file():
            return
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if (
                    int(data["format"]) != SHIPPED_FORMAT
                    or str(data["scheme"]) != scheme
                    or str(data["model_id"]) != model_id
                ):
                    log.info("shipped embeddings %s are for another scheme or model", path)
                    return
                hashes = [str(h) for h in data["hashes"]]
                counts = data["counts"].astype(np.int64)
                vectors = data["vectors"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("shipped embeddings %s unreadable: %s", path, exc)
            return
        if vectors.shape != (int(counts.sum()), DIM) or len(hashes) != len(counts):
            log.warning("shipped embeddings %s have an inconsistent shape", path)
            return
        starts = np.concatenate([[0], np.cumsum(counts)])
        self._rows = {h: (int(starts[i]), int(starts[i + 1])) for i, h in enumerate(hashes)}
        self._vectors = vectors.astype(np.float16, copy=False)

    def get_many(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        out = {}
        for h in hashes:
            span = self._rows.get(h)
            if span is not None:
                out[h] = self._vectors[span[0] : span[1]]
        return out

    def __len__(self) -> int:
        return len(self._rows)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All vectors (float16, (P, 384)) and the passages per document (for benchmarks
        that compose vectors from the sample's)."""
        counts = np.array([b - a for a, b in self._rows.values()], np.int64)
        return self._vectors, counts


def write_shipped(
    path: Path, items: dict[str, np.ndarray], scheme: str, model_id: str
) -> tuple[int, int]:
    """Write a shipped cache: `items` maps content hash -> (n, 384) vectors. Returns
    (documents, passages). Written to a temporary file, then renamed into place."""
    hashes = sorted(items)
    counts = np.array([len(items[h]) for h in hashes], dtype=np.int32)
    vectors = (
        np.concatenate([np.asarray(items[h], np.float16) for h in hashes])
        if hashes
        else np.zeros((0, DIM), np.float16)
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        format=np.array(SHIPPED_FORMAT),
        scheme=np.array(scheme),
        model_id=np.array(model_id),
        hashes=np.array(hashes),
        counts=counts,
        vectors=vectors,
    )
    tmp.replace(path)
    return len(hashes), int(counts.sum())
