"""Reading a build's passage vectors (written by `indexer/dense_write.py`) at query time.

The files are memory-mapped read-only, so the worker processes of one server share
them through the OS page cache. A document is addressed by its Whoosh document number
(docnum): `DenseIndex` is opened with the map from document id to docnum of the
searcher it serves, and answers in docnums.

- `best_passages(q, docnums)`: per document, the cosine of its best passage with the
  query vector and that passage's index (0 is the head: title + description). Exact.
- `candidates(q, k)`: the k documents with the best passages, scored on passage vectors
  reduced to 128 dimensions (a PCA fitted at build time): the cheap first stage on
  large indexes, where an exact scan of every passage is too slow. On small ones
  (≤ `EXACT_LIMIT` passages) it ranks by the exact best passage instead.
- `span(docnum, passage)`: where a passage lies in the document's text (a snippet).
- `page_cosines(q, docnums)`, `doc_vectors()`, `similar(docnum, k)`: one unit vector
  per document, for a page's dense score and "similar documents".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from . import dense_write as files
from .embedder import DIM

log = logging.getLogger(__name__)

# Up to this many passages, the exact scan keeps a float32 copy of the vectors in memory
# (≤ 30 MB) and scores all of them; numpy has no fast float16 matrix product. Above it,
# the build wrote the reduced passage matrix for `candidates`.
EXACT_LIMIT = files.COARSE_MIN_PASSAGES
MISSING = -1.0  # the score of a document without vectors (cosines of e5 are > 0.5)
_CHUNK = 16_384


class DenseUnavailable(Exception):
    """The build has no (usable) dense vectors."""


class DenseIndex:
    """A build's passage vectors, mapped to the docnums of one searcher."""

    def __init__(
        self,
        build_dir: Path,
        docnum_of: Mapping[str, int],
        n_docnums: int | None = None,
        *,
        model_id: str | None = None,
    ) -> None:
        """`docnum_of`: document id -> Whoosh docnum; `n_docnums`: the size of the docnum
        space (default: the largest docnum + 1). With `model_id`, vectors made by
        another model are refused (a query vector would not be comparable)."""
        self.dir = Path(build_dir)
        try:
            meta = json.loads((self.dir / files.META).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DenseUnavailable(f"{self.dir.name} has no dense vectors") from None
        except (OSError, ValueError) as exc:
            raise DenseUnavailable(f"{self.dir.name}: unreadable {files.META}: {exc}") from exc
        if meta.get("format") != files.FORMAT or meta.get("dim") != DIM:
            raise DenseUnavailable(f"{self.dir.name}: dense files of another format")
        if model_id is not None and meta["model_id"] != model_id:
            raise DenseUnavailable(
                f"{self.dir.name}: vectors of {meta['model_id']}, not of {model_id}"
            )
        self.scheme: str = meta["scheme"]
        self.model_id: str = meta["model_id"]
        self.n_docs = d = int(meta["documents"])
        self.n_passages = p = int(meta["passages"])
        self.coarse_dim = int(meta.get("coarse_dim", 0))
        try:
            self.vectors = self._map(files.VECTORS, np.float16, (p, DIM))
            self.offsets = np.fromfile(self.dir / files.OFFSETS, dtype=np.int32)
            self.spans = self._map(files.SPANS, np.int32, (p, 2))
            self._docvec = self._map(files.DOCVEC, np.float32, (d, DIM))
            if self.coarse_dim:
                self._coarse = self._map(files.COARSE, np.float32, (p, self.coarse_dim))
                self._pca = np.fromfile(self.dir / files.PCA, dtype=np.float32).reshape(
                    DIM, self.coarse_dim
                )
        except (OSError, ValueError) as exc:
            raise DenseUnavailable(f"{self.dir.name}: dense files unreadable: {exc}") from exc
        if self.offsets.shape != (d + 1,) or int(self.offsets[-1]) != p:
            raise DenseUnavailable(f"{self.dir.name}: dense offsets do not match the vectors")
        ids = meta["ids"]
        docnums = np.fromiter((docnum_of.get(i, -1) for i in ids), np.int64, count=len(ids))
        size = int(n_docnums) if n_docnums is not None else int(docnums.max(initial=-1)) + 1
        docnums[docnums >= size] = -1
        self.n_docnums = size
        self.docnum_of_row = docnums.astype(np.int32)
        self.row_of_docnum = np.full(size, -1, np.int32)
        known = docnums >= 0
        self.row_of_docnum[docnums[known]] = np.flatnonzero(known).astype(np.int32)
        self._counts = np.diff(self.offsets).astype(np.int64)
        self._exact: np.ndarray | None = None

    def _map(self, name: str, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
        path = self.dir / name
        expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
        if path.stat().st_size != expected:
            raise ValueError(f"{name} has {path.stat().st_size} bytes, expected {expected}")
        if expected == 0:
            return np.zeros(shape, dtype)
        return np.memmap(path, dtype=dtype, mode="r", shape=shape)

    @property
    def small(self) -> bool:
        """Whether an exact scan of every passage is cheap enough for each query."""
        return self.n_passages <= EXACT_LIMIT or not self.coarse_dim

    # --- passages -----------------------------------------------------------

    def _passage_scores(self, q: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosines of the query with every passage of the given document rows, in
        document order."""
        if self.n_passages <= EXACT_LIMIT:
            if self._exact is None:
                self._exact = np.asarray(self.vectors, np.float32)
            if len(rows) == self.n_docs:
                return _dot(self._exact, q)
            return _dot(self._exact[_passage_index(self.offsets, rows, self._counts)], q)
        if len(rows) == self.n_docs:
            return _dot_chunks(self.vectors, q, _CHUNK)
        idx = _passage_index(self.offsets, rows, self._counts)
        return _dot(np.asarray(self.vectors[idx], np.float32), q)

    def best_passages(
        self, query_vec: np.ndarray, docnums: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(best passage cosine float32, that passage's index int32) per document.

        With `docnums`, aligned with them; without, for every docnum 0..n_docnums-1 (on
        a large index that scans every passage: narrow with `candidates` first).
        A document without vectors scores `MISSING` with passage -1."""
        q = np.asarray(query_vec, np.float32).reshape(DIM)
        if docnums is None:
            docnums = np.arange(self.n_docnums)
        docnums = np.asarray(docnums, np.int64)
        scores = np.full(len(docnums), MISSING, np.float32)
        best = np.full(len(docnums), -1, np.int32)
        inside = (docnums >= 0) & (docnums < self.n_docnums)
        rows = np.full(len(docnums), -1, np.int64)
        rows[inside] = self.row_of_docnum[docnums[inside]]
        have = np.flatnonzero(rows >= 0)
        if len(have) == 0:
            return scores, best
        wanted = rows[have]
        all_rows = len(wanted) == self.n_docs and np.array_equal(wanted, np.arange(self.n_docs))
        if all_rows:
            wanted = np.arange(self.n_docs)
        counts = self._counts[wanted]
        passage = self._passage_scores(q, wanted)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        top = np.maximum.reduceat(passage, starts)
        owner = np.repeat(np.arange(len(wanted)), counts)
        first = np.flatnonzero(passage == top[owner])
        seg, at = np.unique(owner[first], return_index=True)
        scores[have] = top
        best[have[seg]] = (first[at] - starts[seg]).astype(np.int32)
        return scores, best

    def span(self, docnum: int, passage: int) -> tuple[int, int]:
        """(start, end) of a passage in the document's text; (0, 0) for the head and for
        unknown passages."""
        row = self.row_of_docnum[docnum] if 0 <= docnum < self.n_docnums else -1
        if row < 0 or not 0 <= passage < self._counts[row]:
            return (0, 0)
        start, end = self.spans[self.offsets[row] + passage]
        return int(start), int(end)

    def passage_count(self, docnum: int) -> int:
        row = self.row_of_docnum[docnum] if 0 <= docnum < self.n_docnums else -1
        return int(self._counts[row]) if row >= 0 else 0

    # --- documents ----------------------------------------------------------

    def candidates(
        self, query_vec: np.ndarray, k: int, mask: np.ndarray | None = None
    ) -> np.ndarray:
        """Docnums of the (up to) k documents with the best passages, best first. On a
        small index by the exact best passage, on a large one by the best reduced
        passage. `mask`: a boolean array over docnums; only True ones are returned."""
        q = np.asarray(query_vec, np.float32).reshape(DIM)
        if self.n_docs == 0 or k <= 0:
            return np.zeros(0, np.int64)
        if self.small:
            rows = np.arange(self.n_docs)
            scores = np.maximum.reduceat(self._passage_scores(q, rows), self.offsets[:-1])
        else:
            reduced = q @ self._pca
            passage = _dot_chunks(self._coarse, reduced, 4 * _CHUNK)
            scores = np.maximum.reduceat(passage, self.offsets[:-1])
        ok = self.docnum_of_row >= 0
        if mask is not None:
            in_mask = np.zeros(self.n_docs, bool)
            in_mask[ok] = np.asarray(mask, bool)[self.docnum_of_row[ok]]
            ok &= in_mask
        rows = np.flatnonzero(ok)
        if len(rows) == 0:
            return np.zeros(0, np.int64)
        s = scores[rows]
        if k < len(rows):
            part = np.argpartition(-s, k - 1)[:k]
        else:
            part = np.arange(len(rows))
        order = part[np.argsort(-s[part], kind="stable")]
        return self.docnum_of_row[rows[order]].astype(np.int64)

    def doc_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(unit vector per document, float32 (D, 384), memory-mapped; its docnums,
        -1 for documents the searcher does not have)."""
        return self._docvec, self.docnum_of_row

    def page_cosines(self, query_vec: np.ndarray, docnums: np.ndarray) -> np.ndarray:
        """Cosine of the query with each document's unit vector (the normalised mean of
        its passages), aligned with `docnums`, which must all have vectors."""
        q = np.asarray(query_vec, np.float32).reshape(DIM)
        return _dot(np.asarray(self._docvec[self.row_of_docnum[docnums]], np.float32), q)

    def doc_vector(self, docnum: int) -> np.ndarray | None:
        row = self.row_of_docnum[docnum] if 0 <= docnum < self.n_docnums else -1
        return None if row < 0 else np.asarray(self._docvec[row])

    def similar(self, docnum: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, cosines) of the k documents nearest to one document by their
        document vectors, itself left out."""
        vec = self.doc_vector(docnum)
        if vec is None or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores = _dot_chunks(self._docvec, vec, 4 * _CHUNK)
        scores[self.docnum_of_row < 0] = -np.inf
        scores[self.row_of_docnum[docnum]] = -np.inf
        k = min(k, int(np.isfinite(scores).sum()))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        part = np.argpartition(-scores, k - 1)[:k]
        order = part[np.argsort(-scores[part], kind="stable")]
        return self.docnum_of_row[order].astype(np.int64), scores[order].astype(np.float32)


def _dot(matrix: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """matrix @ vec on this thread alone. numpy's `@` hands a matrix-vector product to
    OpenBLAS, which wakes its thread pool: on a busy 2-core machine, next to the
    sentence model's OpenMP threads and other workers, that took 10-20 ms for a 27k x 128
    product that one thread does in 0.3 ms. einsum's own loop stays on this thread."""
    return np.einsum("ij,j->i", matrix, vec)


def _dot_chunks(matrix: np.ndarray, vec: np.ndarray, chunk: int) -> np.ndarray:
    """`_dot` of a memory-mapped matrix, `chunk` rows at a time as float32, so a float16
    matrix is never copied whole."""
    return np.concatenate(
        [
            _dot(np.asarray(matrix[i : i + chunk], np.float32), vec)
            for i in range(0, len(matrix), chunk)
        ]
    )


def _passage_index(offsets: np.ndarray, rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The passage rows of the given document rows, concatenated in that order."""
    c = counts[rows]
    total = int(c.sum())
    starts = offsets[rows].astype(np.int64)
    # arange(total) minus each segment's start in the output, plus its start in the file
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(c)[:-1]]), c)
    return np.arange(total, dtype=np.int64) + shift
