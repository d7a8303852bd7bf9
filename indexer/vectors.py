"""Posting lists as flat arrays: the data the ranking reads (`indexer/ranking.py`).

Whoosh keeps the index: terms, postings, stored fields. It also walks a posting list
one document at a time in Python, which costs about a microsecond per posting — a
query whose words occur on most pages of a 10,000-document index spends hundreds of
milliseconds there. So after each commit, every new segment's postings of the scored
fields (document numbers, term weights, and for `body` the positions) are copied once
into one file per segment, `vectors-<segment id>.kbv`, which the searcher maps into
memory and reads with numpy: a whole posting list becomes one array operation.

Whoosh segments never change once written, so a segment's file is made once and
hard-linked into later builds together with the segment (`build._copy_build`). The
arrays are derived from Whoosh's own postings, so the analysis stays defined in one
place. A file that is missing (an index made before this module) is rebuilt in memory
when the index is opened.

File layout: 8-byte magic, 8-byte header length, a JSON header naming each array's
dtype, offset and length, then the arrays, each 8-byte aligned.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import struct
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher

from .schema import FIELD_BOOSTS

log = logging.getLogger(__name__)

SCORED_FIELDS = tuple(FIELD_BOOSTS)
POSITION_FIELDS = frozenset({"body"})
# Fields whose documents also get a short list of their own terms (for feedback).
FORWARD_FIELDS = frozenset({"body"})
FORWARD_TERMS = 40
MAGIC = b"KBVEC001"
# Version 2 added the forward lists; `write_missing` rewrites older files.
VERSION = 2
PREFIX = "vectors-"
SUFFIX = ".kbv"
# Terms whose postings stay cached: at most this many, and at most this much memory of
# their own (a term's postings over several segments are joined into a copy).
_POSTINGS_CACHE = 4096
_CACHE_BYTES = 64 << 20


class VectorFileError(ValueError):
    """A vector file is missing parts or is not one of ours."""


def vector_file(segment_id: str) -> str:
    return f"{PREFIX}{segment_id}{SUFFIX}"


# --- writing (after a commit) --------------------------------------------------------


def _posting_lists(reader):
    """(field, term, matcher) of every term of the scored fields, in one pass over the
    segment's term file (a lookup per term costs more than reading its postings). The
    matchers are the codec's own: every posting, deleted documents included (the
    searcher masks those)."""
    terms = reader._terms
    for (fieldname, text), info in terms.items():
        if fieldname in SCORED_FIELDS:
            fmt = reader.schema[fieldname].format
            m = reader._codec.postings_reader(terms._postfile, info, fmt)
            if not isinstance(m, W3LeafMatcher):
                raise VectorFileError(f"unexpected posting reader {type(m).__name__}")
            yield fieldname, text, m


def _blocks(m: W3LeafMatcher, with_values: bool):
    """(ids, weights, values) of each block of a posting list. This reaches into
    whoosh-reloaded's W3 codec (the version is pinned in pyproject.toml)."""
    while m.is_active():
        m._read_ids()
        m._read_weights()
        if with_values:
            m._read_values()
        yield m._ids, m._weights, (m._values if with_values else None)
        if m._lastblock:
            break
        m._goto(m._nextoffset)


def _decode_positions(counts: list[int], deltas: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(positions per posting, their positions one after another) from Whoosh's
    Positions values, already unpickled: per posting a count and position deltas."""
    counts_ = np.asarray(counts, dtype=np.int64)
    running = np.cumsum(np.asarray(deltas, dtype=np.int64))
    # Deltas restart at each posting: subtract the running sum before it.
    ends = np.cumsum(counts_)
    before = np.concatenate(([0], running[ends[:-1] - 1])) if len(ends) else running[:0]
    return counts_.astype(np.int32), (running - np.repeat(before, counts_)).astype(np.int32)


class _FieldLists:
    """One field's posting lists as they are read, before they become arrays."""

    # Positions wait as Python ints in batches of this many, then become arrays: one
    # numpy call per block would cost more than the block, one list of every position
    # of a 100k-document index would take gigabytes.
    BATCH = 1 << 20

    def __init__(self, with_positions: bool) -> None:
        self.with_positions = with_positions
        self.terms: list[bytes] = []
        self.post_ends: list[int] = []
        self.docs: list = []
        self.weights: list = []
        self.pos_counts: list[np.ndarray] = []
        self.positions: list[np.ndarray] = []
        self._counts: list[int] = []
        self._deltas: list[int] = []
        self.total = 0

    def add(self, text: bytes, m: W3LeafMatcher) -> None:
        for ids, ws, values in _blocks(m, self.with_positions):
            self.docs.append(np.asarray(ids, dtype=np.int32))
            self.weights.append(np.asarray(ws, dtype=np.float32))
            self.total += len(ids)
            if self.with_positions:
                for v in values:
                    deltas = pickle.loads(v[4:] if v.endswith(b".") else v[4:] + b".")
                    self._counts.append(len(deltas))
                    self._deltas.extend(deltas)
                if len(self._deltas) >= self.BATCH:
                    self.flush()
        self.terms.append(text)
        self.post_ends.append(self.total)

    def flush(self) -> None:
        if self._counts:
            counts, positions = _decode_positions(self._counts, self._deltas)
            self.pos_counts.append(counts)
            self.positions.append(positions)
            self._counts, self._deltas = [], []


def _field_arrays(reader, fieldname: str, lists: _FieldLists) -> dict[str, np.ndarray]:
    terms, post_ends, docs, weights = lists.terms, lists.post_ends, lists.docs, lists.weights
    term_ends = np.cumsum([len(t) for t in terms], dtype=np.int64)
    out = {
        "terms": np.frombuffer(b"".join(terms), dtype=np.uint8),
        "term_ends": term_ends,
        "post_ends": np.asarray(post_ends, dtype=np.int64),
        "docs": np.concatenate(docs) if docs else np.zeros(0, np.int32),
        "weights": np.concatenate(weights) if weights else np.zeros(0, np.float32),
        "lengths": _lengths(reader, fieldname),
    }
    if fieldname in FORWARD_FIELDS:
        out.update(_forward(out["docs"], out["weights"], out["post_ends"], reader.doc_count_all()))
    if lists.with_positions:
        lists.flush()
        counts = lists.pos_counts
        out["pos_ends"] = (
            np.cumsum(np.concatenate(counts), dtype=np.int64) if counts else np.zeros(0, np.int64)
        )
        out["positions"] = np.concatenate(lists.positions) if counts else np.zeros(0, np.int32)
    return out


def _forward(docs, weights, post_ends, doc_count: int) -> dict[str, np.ndarray]:
    """Per document its FORWARD_TERMS most telling terms (weight x idf, as indexes into
    the field's terms) and their weights, for pseudo-relevance feedback
    (`indexer/feedback.py`)."""
    counts = np.diff(post_ends, prepend=0)
    term_of = np.repeat(np.arange(len(post_ends), dtype=np.int32), counts)
    idf = np.log((doc_count + 1) / (counts + 0.5))
    order = np.lexsort((-(weights * idf[term_of]), docs))
    by_doc = docs[order]
    first = np.searchsorted(by_doc, np.arange(doc_count))
    keep = order[np.arange(len(order)) - first[by_doc] < FORWARD_TERMS]
    kept_docs = docs[keep]
    return {
        "fwd_ends": np.cumsum(np.bincount(kept_docs, minlength=doc_count)).astype(np.int64),
        "fwd_terms": term_of[keep],
        "fwd_weights": weights[keep],
    }


def _lengths(reader, fieldname: str) -> np.ndarray:
    """Each document's field length as Whoosh's scorer sees it (stored as one byte)."""
    n = reader.doc_count_all()
    length = reader.doc_field_length
    return np.fromiter((length(i, fieldname) or 0 for i in range(n)), dtype=np.float32, count=n)


def segment_arrays(reader) -> dict[str, np.ndarray]:
    """Every array of one segment reader, keyed `field.name`."""
    lists = {f: _FieldLists(f in POSITION_FIELDS) for f in SCORED_FIELDS}
    for fieldname, text, m in _posting_lists(reader):
        lists[fieldname].add(text, m)
    out = {}
    for fieldname in SCORED_FIELDS:
        for name, arr in _field_arrays(reader, fieldname, lists.pop(fieldname)).items():
            out[f"{fieldname}.{name}"] = arr
    return out


def _write(path: Path, doc_count: int, arrays: dict[str, np.ndarray]) -> None:
    header: dict = {"version": VERSION, "doc_count": doc_count, "arrays": {}}
    offset = 0
    for name, arr in arrays.items():
        header["arrays"][name] = [arr.dtype.str, offset, int(arr.size)]
        offset += (arr.nbytes + 7) // 8 * 8
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (-(len(raw) + 16) % 8)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(MAGIC + struct.pack("<Q", len(raw)) + raw)
        for arr in arrays.values():
            data = np.ascontiguousarray(arr).tobytes()
            fh.write(data + b"\0" * (-len(data) % 8))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _current_file(path: Path) -> bool:
    try:
        return _read_header(np.memmap(path, dtype=np.uint8, mode="r"), path)[0] >= VERSION
    except (OSError, ValueError, KeyError, struct.error):
        return False


def write_missing(index_dir: Path) -> int:
    """Write the vector file of every segment of the index in `index_dir` that has none
    (or an older or unreadable one), and remove those of segments no longer in it.
    Returns how many were written."""
    from whoosh import index as whoosh_index

    index_dir = Path(index_dir)
    ix = whoosh_index.open_dir(str(index_dir))
    written = 0
    wanted: set[str] = set()
    with ix.reader() as reader:
        for leaf, _offset in reader.leaf_readers():
            name = vector_file(leaf.segment().segment_id())
            wanted.add(name)
            if not _current_file(index_dir / name):
                _write(index_dir / name, leaf.doc_count_all(), segment_arrays(leaf))
                written += 1
    ix.close()
    for item in index_dir.glob(f"{PREFIX}*{SUFFIX}"):
        if item.name not in wanted:
            item.unlink()
    return written


# --- reading ---------------------------------------------------------------------------


def _read_header(mm: np.ndarray, path: Path) -> tuple[int, dict, int]:
    """(version, header, offset of the first array) of a mapped vector file."""
    if bytes(mm[:8]) != MAGIC:
        raise VectorFileError(f"{path.name} is not a vector file")
    (size,) = struct.unpack("<Q", bytes(mm[8:16]))
    header = json.loads(bytes(mm[16 : 16 + size]).decode("utf-8"))
    return int(header.get("version", 1)), header, 16 + size


def _read(path: Path) -> tuple[int, dict[str, np.ndarray]]:
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    _, header, base = _read_header(mm, path)
    arrays = {}
    for name, (dtype, offset, count) in header["arrays"].items():
        dt = np.dtype(dtype)
        start = base + offset
        end = start + count * dt.itemsize
        if end > len(mm):
            raise VectorFileError(f"{path.name} is truncated")
        arrays[name] = mm[start:end].view(dt)
    return int(header["doc_count"]), arrays


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
                count, arrays = _read(path)
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
