"""Reads the ranking's arrays: `VectorIndex`, every segment's vector file
(`indexer/vectors_file.py`) mapped into memory and addressed by the searcher's document
numbers, with the statistics BM25F needs. `indexer/ranking.py` turns a whole posting
list into one numpy operation on it.

A file that is missing (an index made before vector files) is rebuilt in memory when
the index is opened (`vectors_write.segment_arrays`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import whoosh_internals
from .vectors_file import POSITION_FIELDS, SCORED_FIELDS, VectorFileError, read, vector_file
from .vectors_write import segment_arrays

log = logging.getLogger(__name__)

# Terms whose postings stay cached: at most this many, and at most this much memory of
# their own (a term's postings over several segments are joined into a copy).
_POSTINGS_CACHE = 4096
_CACHE_BYTES = 64 << 20


@dataclass
class TermPostings:
    """One term's postings over the whole index. Positions stay with their segment
    (views of the mapped files) and are only gathered for the documents asked for."""

    docs: np.ndarray  # global document numbers, ascending
    weights: np.ndarray  # term weight (Whoosh's BM25 tf) per posting
    # Per segment: (its slice of `docs`, end of each posting's positions, positions).
    _parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
    _total: float | None = None

    @property
    def total_weight(self) -> float:
        """The term's weight summed over the collection (its collection frequency)."""
        if self._total is None:
            self._total = float(self.weights.sum(dtype=np.float64))
        return self._total

    @property
    def nbytes(self) -> int:
        """Memory of its own (the arrays that are copies, not views of a file)."""
        return sum(a.nbytes for a in (self.docs, self.weights) if a.base is None)

    def keys(self, keep: np.ndarray) -> np.ndarray:
        """Sorted (document << 32 | position) of every position in the documents where
        `keep` (a bool array over documents) is true."""
        if self._parts is None:
            raise VectorFileError("this field has no positions")
        found = [_keys(docs, ends, positions, keep) for docs, ends, positions in self._parts]
        return np.concatenate(found) if len(found) > 1 else found[0]


def _keys(docs: np.ndarray, pos_ends: np.ndarray, positions: np.ndarray, keep) -> np.ndarray:
    chosen = np.flatnonzero(keep[docs])
    if not len(chosen):
        return np.zeros(0, np.int64)
    starts, counts = _spans(pos_ends, chosen)
    docs_ = np.repeat(docs[chosen].astype(np.int64), counts)
    return (docs_ << 32) | positions[_gather(starts, counts)].astype(np.int64)


def _spans(ends: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, length) of each of `rows` in an array of run ends (cumulative counts)."""
    stops = ends[rows].astype(np.int64)
    starts = np.where(rows > 0, ends[np.maximum(rows - 1, 0)], 0).astype(np.int64)
    return starts, stops - starts


def _gather(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The indexes of the runs [start, start + count), one after the other, without a
    Python loop."""
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return np.arange(int(counts.sum()), dtype=np.int64) + offsets


def forward_weight(weights: np.ndarray) -> np.ndarray:
    """A forward list's term weights as the similarity of pages counts them: damped
    (1 + log tf), so one word repeated does not make a page like every other."""
    weights = np.asarray(weights, dtype=np.float64)
    return np.where(weights > 1.0, 1.0 + np.log(np.maximum(weights, 1.0)), weights)


class _Field:
    """One field of one segment."""

    def __init__(self, arrays: dict[str, np.ndarray], fieldname: str) -> None:
        self.a = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(fieldname + ".")}
        for needed in ("terms", "term_ends", "post_ends", "docs", "weights", "lengths"):
            if needed not in self.a:
                raise VectorFileError(f"vector file lacks {fieldname}.{needed}")
        self._lookup: dict[bytes, int] | None = None

    @property
    def doc_count(self) -> int:
        return len(self.a["lengths"])

    @property
    def post_ends(self) -> np.ndarray:
        """End of each term's postings (cumulative counts), by term number."""
        return self.a["post_ends"]

    def term_text(self, i: int) -> bytes:
        ends = self.a["term_ends"]
        return self.a["terms"][int(ends[i - 1]) if i else 0 : int(ends[i])].tobytes()

    def forward(self, docnum: int) -> list[tuple[bytes, float]]:
        """The document's most telling terms and their weights; [] when the file has
        no forward lists (made before they existed)."""
        if "fwd_ends" not in self.a:
            return []
        ends = self.a["fwd_ends"]
        start, stop = (int(ends[docnum - 1]) if docnum else 0), int(ends[docnum])
        terms = self.a["fwd_terms"][start:stop].tolist()
        weights = self.a["fwd_weights"][start:stop].tolist()
        return [(self.term_text(t), w) for t, w in zip(terms, weights, strict=True)]

    def similarity(self, docnums: np.ndarray, centroid: dict[bytes, float]) -> np.ndarray:
        """Per document of `docnums` (this segment's numbers): the dot product of its
        forward list, weighted by `forward_weight` and scaled to length 1, with `centroid`
        (term -> weight); 0 for every page when the file has no forward lists."""
        if "fwd_ends" not in self.a or not len(docnums):
            return np.zeros(len(docnums))
        indexed = ((self.term_index(t), w) for t, w in centroid.items())
        known = sorted((i, w) for i, w in indexed if i is not None)
        if not known:
            return np.zeros(len(docnums))
        keys = np.array([i for i, _ in known], dtype=self.a["fwd_terms"].dtype)
        values = np.array([w for _, w in known])
        starts, counts = _spans(self.a["fwd_ends"], np.asarray(docnums, dtype=np.int64))
        entries = _gather(starts, counts)
        terms = self.a["fwd_terms"][entries]
        weights = forward_weight(self.a["fwd_weights"][entries])
        at = np.minimum(np.searchsorted(keys, terms), len(keys) - 1)
        in_centroid = np.where(keys[at] == terms, values[at], 0.0)
        row = np.repeat(np.arange(len(docnums)), counts)
        dot = np.bincount(row, weights * in_centroid, minlength=len(docnums))
        length = np.sqrt(np.bincount(row, weights * weights, minlength=len(docnums)))
        return dot / np.maximum(length, 1e-12)

    def term_index(self, text: bytes) -> int | None:
        if self._lookup is None:
            blob = self.a["terms"].tobytes()
            ends = self.a["term_ends"].tolist()
            starts = [0, *ends[:-1]] if ends else []
            self._lookup = {blob[s:e]: i for i, (s, e) in enumerate(zip(starts, ends, strict=True))}
        return self._lookup.get(text)

    def postings(self, i: int, offset: int) -> TermPostings:
        ends = self.a["post_ends"]
        start = int(ends[i - 1]) if i else 0
        stop = int(ends[i])
        docs = self.a["docs"][start:stop]
        if offset:
            docs = docs.astype(np.int64) + offset
        if "positions" not in self.a:
            return TermPostings(docs, self.a["weights"][start:stop])
        pos_ends = self.a["pos_ends"]
        first = int(pos_ends[start - 1]) if start else 0
        last = int(pos_ends[stop - 1]) if stop > start else first
        part = (docs, pos_ends[start:stop] - first, self.a["positions"][first:last])
        return TermPostings(docs, self.a["weights"][start:stop], [part])


class VectorIndex:
    """The arrays of every segment of one open searcher, addressed by global document
    number (the searcher's), with the statistics BM25F needs."""

    def __init__(self, build_dir: Path, searcher) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self.doc_count = reader.doc_count_all()
        self._segments: list[tuple[int, dict[str, _Field]]] = []
        lengths: dict[str, list[np.ndarray]] = {f: [] for f in SCORED_FIELDS}
        live = np.ones(self.doc_count, dtype=bool)
        for leaf, offset in reader.leaf_readers():
            path = Path(build_dir) / vector_file(leaf.segment().segment_id())
            if path.exists():
                count, arrays = read(path)
            else:
                log.warning("%s missing: reading the segment's postings (slow)", path.name)
                count, arrays = leaf.doc_count_all(), segment_arrays(leaf)
            if count != leaf.doc_count_all():
                raise VectorFileError(f"{path.name} does not match its segment")
            fields_ = {f: _Field(arrays, f) for f in SCORED_FIELDS}
            self._segments.append((offset, fields_))
            for f in SCORED_FIELDS:
                lengths[f].append(fields_[f].a["lengths"])
            if leaf.has_deletions():
                live[offset : offset + count] = False
                live[offset + np.fromiter(leaf.all_doc_ids(), dtype=np.int64)] = True
        self.live = live
        self.lengths = {
            f: (np.concatenate(parts) if len(parts) > 1 else np.asarray(parts[0]))
            if parts
            else np.zeros(0, np.float32)
            for f, parts in lengths.items()
        }
        self.avg_length = {f: (searcher.avg_field_length(f) or 1.0) for f in SCORED_FIELDS}
        self._cache: OrderedDict[tuple[str, bytes], TermPostings | None] = OrderedDict()
        self._cached_bytes = 0

    def check(self) -> None:
        """Compare a sample of the arrays with Whoosh's public reading of the same
        postings (`whoosh_internals.check_sample`); IndexFormatUnknown when they differ."""
        whoosh_internals.check_sample(self.searcher, self._segments, POSITION_FIELDS)

    def forward(self, fieldname: str, docnum: int) -> list[tuple[bytes, float]]:
        """A document's most telling terms in a field, with their weights."""
        for offset, fields_ in reversed(self._segments):
            if docnum >= offset:
                return fields_[fieldname].forward(docnum - offset)
        return []

    def doc_frequency(self, fieldname: str, term: bytes) -> int:
        """How many documents (deleted ones included, as in Whoosh) have the term."""
        found = 0
        for _, fields_ in self._segments:
            field = fields_[fieldname]
            i = field.term_index(term)
            if i is not None:
                ends = field.a["post_ends"]
                found += int(ends[i]) - (int(ends[i - 1]) if i else 0)
        return found

    def similarity(
        self, fieldname: str, docnums: np.ndarray, centroid: dict[bytes, float]
    ) -> np.ndarray:
        """Cosine of each page of `docnums` (global numbers) with `centroid` (term ->
        weight), over the pages' forward lists (`_Field.similarity`)."""
        docnums = np.asarray(docnums, dtype=np.int64)
        out = np.zeros(len(docnums))
        length = float(np.sqrt(sum(w * w for w in centroid.values())))
        if not length or not len(docnums):
            return out
        for offset, fields_ in self._segments:
            field = fields_[fieldname]
            rows = np.flatnonzero((docnums >= offset) & (docnums < offset + field.doc_count))
            if len(rows):
                out[rows] = field.similarity(docnums[rows] - offset, centroid) / length
        return out

    def postings(self, fieldname: str, text: str | bytes) -> TermPostings | None:
        """The term's postings over all segments, or None when no document has it."""
        if fieldname not in SCORED_FIELDS:
            return None
        key = text.encode("utf-8") if isinstance(text, str) else text
        cached = self._cache.get((fieldname, key), False)
        if cached is not False:
            self._cache.move_to_end((fieldname, key))
            return cached
        parts = []
        for offset, fields_ in self._segments:
            field = fields_[fieldname]
            i = field.term_index(key)
            if i is not None:
                parts.append(field.postings(i, offset))
        found = parts[0] if len(parts) == 1 else _merged(parts) if parts else None
        self._cache[(fieldname, key)] = found
        self._cached_bytes += found.nbytes if found is not None else 0
        while len(self._cache) > _POSTINGS_CACHE or self._cached_bytes > _CACHE_BYTES:
            _, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= dropped.nbytes if dropped is not None else 0
        return found


def _merged(parts: list[TermPostings]) -> TermPostings:
    docs = np.concatenate([p.docs.astype(np.int64) for p in parts])
    weights = np.concatenate([p.weights for p in parts])
    if parts[0]._parts is None:
        return TermPostings(docs, weights)
    return TermPostings(docs, weights, [part for p in parts for part in p._parts])
