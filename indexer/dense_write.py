"""Writing a build's passage vectors: the files `indexer/dense_read.py` maps.

In the build folder, next to the Whoosh segments:

- `dense-vectors.f16`: every passage's unit vector, float16, row-major (P, 384), the
  documents one after another;
- `dense-offsets.i32`: (D + 1,) int32, document row d owns passages
  `offsets[d]:offsets[d + 1]`; the first of them is its head (title + description);
- `dense-spans.i32`: (P, 2) int32, each passage's (start, end) character offsets in
  `Document.text`; (0, 0) for the head;
- `dense-docvec.f32`: (D, 384) float32, each document's normalised mean passage vector
  (similar documents);
- `dense-coarse.f32`: (P, k) float32, the passage vectors reduced to k dimensions by a
  PCA fitted here (large builds only: the first stage of a query, a document scoring
  its best reduced passage), and `dense-pca.f32`, (384, k) float32, that projection,
  applied to a query vector;
- `dense.json`: format, scheme, model id, passage cap, shapes, and the document ids and
  content hashes in row order.

Each file is written under a temporary name and renamed into place, `dense.json` last:
a folder without `dense.json` has no usable vectors. Vectors and document vectors are
streamed to disk as documents are added, so a 100k-document build does not hold them
in memory.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embedder import DIM

log = logging.getLogger(__name__)

FORMAT = 1
META = "dense.json"
VECTORS = "dense-vectors.f16"
OFFSETS = "dense-offsets.i32"
SPANS = "dense-spans.i32"
DOCVEC = "dense-docvec.f32"
COARSE = "dense-coarse.f32"
PCA = "dense-pca.f32"
FILES = (META, VECTORS, OFFSETS, SPANS, DOCVEC, COARSE, PCA)
# The coarse matrix is written from this many passages on (below, the exact scan over all
# passages is fast enough), reduced to `COARSE_DIM` dimensions. Measured on the sample's
# real vectors: the 128-d passages keep 86 % of the variance, and the 20 documents with
# the best reduced passage hold 96 % of the exact top 10 (the mean vector per document:
# 85 %; 64 dimensions: 93 %).
COARSE_MIN_PASSAGES = 20_000
COARSE_DIM = 128
_CHUNK = 8_192


def remove_dense(build_dir: Path) -> None:
    """Remove dense files (e.g. hard-linked from the previous build by an update)."""
    for name in FILES:
        try:
            (Path(build_dir) / name).unlink()
        except FileNotFoundError:
            pass


@dataclass
class DenseSummary:
    documents: int
    passages: int
    coarse_dim: int  # 0 when no coarse matrix was written


class DenseWriter:
    """Collects documents' passage vectors in row order and writes the dense files."""

    def __init__(self, build_dir: Path, *, scheme: str, model_id: str, max_passages: int) -> None:
        self.dir = Path(build_dir)
        self.meta = {
            "format": FORMAT,
            "scheme": scheme,
            "model_id": model_id,
            "max_passages": max_passages,
            "dim": DIM,
        }
        remove_dense(self.dir)
        self.ids: list[str] = []
        self.hashes: list[str] = []
        self.offsets: list[int] = [0]
        self.spans: list[tuple[int, int]] = []
        # Closed by finish() or abort().
        self._vec_fh = open(self._tmp(VECTORS), "wb")
        self._doc_fh = open(self._tmp(DOCVEC), "wb")

    def _tmp(self, name: str) -> Path:
        return self.dir / f".{name}.tmp"

    def add(
        self,
        doc_id: str,
        content_hash: str,
        vectors: np.ndarray,
        spans: list[tuple[int, int]] | np.ndarray,
    ) -> None:
        """Append one document: its (n, 384) passage vectors and their n spans."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[1] != DIM or len(vectors) == 0:
            raise ValueError(f"document {doc_id}: vectors of shape {vectors.shape}")
        if len(spans) != len(vectors):
            raise ValueError(f"document {doc_id}: {len(spans)} spans for {len(vectors)} vectors")
        self._vec_fh.write(np.ascontiguousarray(vectors, np.float16).tobytes())
        mean = vectors.astype(np.float32).mean(axis=0)
        norm = float(np.linalg.norm(mean))
        self._doc_fh.write((mean / (norm or 1.0)).astype(np.float32).tobytes())
        self.ids.append(doc_id)
        self.hashes.append(content_hash)
        self.offsets.append(self.offsets[-1] + len(vectors))
        self.spans.extend((int(s), int(e)) for s, e in spans)

    def abort(self) -> None:
        for fh in (self._vec_fh, self._doc_fh):
            fh.close()
        for name in FILES:
            self._tmp(name).unlink(missing_ok=True)

    def finish(self) -> DenseSummary:
        """Write the remaining files and rename everything into place."""
        for fh in (self._vec_fh, self._doc_fh):
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        docs, passages = len(self.ids), self.offsets[-1]
        np.asarray(self.offsets, np.int32).tofile(self._tmp(OFFSETS))
        np.asarray(self.spans, np.int32).reshape(passages, 2).tofile(self._tmp(SPANS))
        coarse_dim = 0
        if passages >= COARSE_MIN_PASSAGES:
            coarse_dim = self._write_coarse(passages)
        meta = dict(self.meta, documents=docs, passages=passages, coarse_dim=coarse_dim)
        meta["ids"], meta["hashes"] = self.ids, self.hashes
        self._tmp(META).write_text(json.dumps(meta), encoding="utf-8")
        for name in (*FILES[1:], META):  # dense.json last: it marks the set complete
            if self._tmp(name).exists():
                os.replace(self._tmp(name), self.dir / name)
        log.info("dense vectors: %d documents, %d passages", docs, passages)
        return DenseSummary(docs, passages, coarse_dim)

    def _write_coarse(self, passages: int) -> int:
        """Fit a PCA on the passage vectors; write the reduced passages and the projection.

        Scores in the reduced space rank like the full dot product q·p up to what the
        dropped dimensions hold: q·p = q·mean + q·(p - mean), and the first term is the
        same for every passage, so passages are centred and the query is not."""
        vecs = np.memmap(self._tmp(VECTORS), dtype=np.float16, mode="r", shape=(passages, DIM))
        total = np.zeros(DIM, np.float64)
        gram = np.zeros((DIM, DIM), np.float64)
        for i in range(0, passages, _CHUNK):
            block = np.asarray(vecs[i : i + _CHUNK], np.float64)
            total += block.sum(axis=0)
            gram += block.T @ block
        mean = total / passages
        cov = gram / passages - np.outer(mean, mean)
        _, eigvecs = np.linalg.eigh(cov)  # ascending eigenvalues
        k = min(COARSE_DIM, DIM)
        proj = np.ascontiguousarray(eigvecs[:, ::-1][:, :k], np.float32)
        proj.tofile(self._tmp(PCA))
        mean32 = mean.astype(np.float32)
        with open(self._tmp(COARSE), "wb") as fh:
            for i in range(0, passages, _CHUNK):
                block = np.asarray(vecs[i : i + _CHUNK], np.float32) - mean32
                fh.write((block @ proj).astype(np.float32).tobytes())
            fh.flush()
            os.fsync(fh.fileno())
        del vecs
        return k
