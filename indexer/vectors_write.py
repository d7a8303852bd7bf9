"""Writes the ranking's arrays: after each commit, every new segment's postings of the
scored fields (document numbers, term weights, and for `body` the positions), plus a
short forward list of each page's most telling terms, into one vector file per segment
(`indexer/vectors_file.py`).

Whoosh keeps the index: terms, postings, stored fields. The arrays are derived from
its postings (read through `indexer/whoosh_internals.py`, the one module that knows
Whoosh's private layout), so the analysis stays defined in one place. Whoosh segments
never change once written, so a segment's file is made once and hard-linked into later
builds together with the segment (`build._copy_build`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import whoosh_internals
from .vectors_file import (
    FORWARD_FIELDS,
    FORWARD_TERMS,
    POSITION_FIELDS,
    PREFIX,
    SCORED_FIELDS,
    SUFFIX,
    is_current,
    vector_file,
    write,
)


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

    def add(self, text: bytes, m) -> None:
        """Append one term's postings (a matcher of `whoosh_internals.posting_lists`)."""
        for ids, ws, per_posting in whoosh_internals.blocks(m, self.with_positions):
            self.docs.append(np.asarray(ids, dtype=np.int32))
            self.weights.append(np.asarray(ws, dtype=np.float32))
            self.total += len(ids)
            if per_posting is not None:
                for deltas in per_posting:
                    self._counts.append(len(deltas))
                    self._deltas.extend(deltas)
                if len(self._deltas) >= self.BATCH:
                    self.flush()
        self.terms.append(text)
        self.post_ends.append(self.total)

    def flush(self) -> None:
        if self._counts:
            counts, positions = whoosh_internals.decode_positions(self._counts, self._deltas)
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
    for fieldname, text, m in whoosh_internals.posting_lists(reader, SCORED_FIELDS):
        lists[fieldname].add(text, m)
    out = {}
    for fieldname in SCORED_FIELDS:
        for name, arr in _field_arrays(reader, fieldname, lists.pop(fieldname)).items():
            out[f"{fieldname}.{name}"] = arr
    return out


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
            if not is_current(index_dir / name):
                write(index_dir / name, leaf.doc_count_all(), segment_arrays(leaf))
                written += 1
    ix.close()
    for item in index_dir.glob(f"{PREFIX}*{SUFFIX}"):
        if item.name not in wanted:
            item.unlink()
    return written
