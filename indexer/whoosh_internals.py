"""Every use of Whoosh's private internals, in one place, and the check that they still
mean what this code thinks.

The ranking's arrays (`indexer/vectors_write.py`) are copied from Whoosh's postings by
reading the W3 codec's blocks directly: the public matcher walks one posting at a time
in Python, which costs minutes at 100k documents. That reading leans on attributes that
are not Whoosh's API (`reader._terms`, `_codec`, a matcher's `_read_ids`,
`_lastblock`, `_goto`, `_nextoffset`, and the pickled positions of its `Positions`
format), of the whoosh-reloaded version pinned in pyproject.toml. Nothing else in the
product may touch them.

Because an upgrade could change their meaning silently, `check_sample` compares, each
time an index version is opened, a handful of posting lists as Whoosh's public API
reads them (`postings(...)`, `id()`, `weight()`, `value_as("positions")`) with the
arrays. A mismatch fails loud with `IndexFormatUnknown`; reading a few hundred
postings costs a few milliseconds.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher

# Postings of one term read through the public API at most: enough to cross a W3
# block boundary (128 postings), small enough that opening stays cheap.
CHECK_MAX_POSTINGS = 600
# Segments checked per open: the largest and the newest (written by this code).
CHECK_SEGMENTS = 2

FORMAT_MESSAGE = "index format not understood: rebuild with `kennisbank index --rebuild`"


class InternalsError(ValueError):
    """Whoosh's internals are not what this module expects (a different codec)."""


class IndexFormatUnknown(InternalsError):
    """The arrays disagree with Whoosh's public reading of the same postings."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{FORMAT_MESSAGE} ({detail})")


def posting_lists(reader, fieldnames) -> Iterator[tuple[str, bytes, W3LeafMatcher]]:
    """(field, term, matcher) of every term of `fieldnames` in one segment reader, in
    one pass over its term file (a lookup per term costs more than reading its
    postings). The matchers are the codec's own: every posting, deleted documents
    included."""
    wanted = frozenset(fieldnames)
    terms = reader._terms
    for (fieldname, text), info in terms.items():
        if fieldname in wanted:
            fmt = reader.schema[fieldname].format
            m = reader._codec.postings_reader(terms._postfile, info, fmt)
            if not isinstance(m, W3LeafMatcher):
                raise InternalsError(f"unexpected posting reader {type(m).__name__}")
            yield fieldname, text, m


def blocks(m: W3LeafMatcher, with_positions: bool):
    """(ids, weights, position deltas per posting or None) of each block of a posting
    list. Whoosh's `Positions` format stores per posting a 4-byte header and a pickled
    list of deltas (whose final STOP opcode it may leave out)."""
    loads = pickle.loads
    while m.is_active():
        m._read_ids()
        m._read_weights()
        deltas = None
        if with_positions:
            m._read_values()
            deltas = [loads(v[4:] if v.endswith(b".") else v[4:] + b".") for v in m._values]
        yield m._ids, m._weights, deltas
        if m._lastblock:
            break
        m._goto(m._nextoffset)


def decode_positions(counts: list[int], deltas: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(positions per posting, their positions one after another) from the deltas of
    `blocks`: per posting a count and position deltas that restart at each posting."""
    counts_ = np.asarray(counts, dtype=np.int64)
    running = np.cumsum(np.asarray(deltas, dtype=np.int64))
    # Deltas restart at each posting: subtract the running sum before it.
    ends = np.cumsum(counts_)
    before = np.concatenate(([0], running[ends[:-1] - 1])) if len(ends) else running[:0]
    return counts_.astype(np.int32), (running - np.repeat(before, counts_)).astype(np.int32)


# --- the check at open -----------------------------------------------------------------


def check_sample(searcher, segments, position_fields) -> None:
    """Compare a few posting lists of the open index, read through Whoosh's public API,
    with the arrays; raise IndexFormatUnknown on any difference.

    `segments` is the arrays' view of each segment, in the reader's order: (offset,
    {field: object with `doc_count`, `post_ends`, `term_text(i)`, `postings(i, 0)`})."""
    leaves = searcher.reader().leaf_readers()
    if not leaves:
        return
    if len(leaves) != len(segments):
        raise IndexFormatUnknown(f"{len(segments)} array segments, {len(leaves)} in Whoosh")
    chosen = {max(range(len(leaves)), key=lambda s: leaves[s][0].doc_count_all())}
    chosen.add(len(leaves) - 1)
    for s in sorted(chosen)[:CHECK_SEGMENTS]:
        leaf = leaves[s][0]
        live = np.ones(leaf.doc_count_all(), dtype=bool)
        if leaf.has_deletions():
            live[:] = False
            live[np.fromiter(leaf.all_doc_ids(), dtype=np.int64)] = True
        for fieldname, field in segments[s][1].items():
            if field.doc_count != len(live):
                raise IndexFormatUnknown(
                    f"{fieldname}: {field.doc_count} documents, not {len(live)}"
                )
            for i in _sample_terms(field.post_ends):
                _check_term(leaf, fieldname, field, i, live, fieldname in position_fields)


def _sample_terms(post_ends: np.ndarray) -> list[int]:
    """Up to three term numbers: the first, the middle one and the one with the most
    postings below CHECK_MAX_POSTINGS (so a block boundary is crossed when there is
    one)."""
    n = len(post_ends)
    if not n:
        return []
    counts = np.diff(post_ends, prepend=0)
    small = np.flatnonzero(counts <= CHECK_MAX_POSTINGS)
    picks = {0, n // 2} if counts[0] <= CHECK_MAX_POSTINGS else set()
    if len(small):
        picks.add(int(small[np.argmax(counts[small])]))
    return sorted(p for p in picks if counts[p] <= CHECK_MAX_POSTINGS)


def _check_term(
    leaf, fieldname: str, field, i: int, live: np.ndarray, with_positions: bool
) -> None:
    text = field.term_text(i)
    ids, weights, keys = [], [], []
    m = leaf.postings(fieldname, text)
    while m.is_active():
        docnum = m.id()
        ids.append(docnum)
        weights.append(m.weight())
        if with_positions:
            keys.extend((docnum << 32) | p for p in m.value_as("positions"))
        m.next()
    mine = field.postings(i, 0)
    kept = live[mine.docs]
    where = f"{fieldname}:{text.decode('utf-8', 'replace')!r}"
    if mine.docs[kept].tolist() != ids:
        raise IndexFormatUnknown(f"documents of {where} differ")
    if not np.allclose(mine.weights[kept], np.asarray(weights, dtype=np.float32), rtol=1e-6):
        raise IndexFormatUnknown(f"weights of {where} differ")
    if with_positions and mine.keys(live).tolist() != keys:
        raise IndexFormatUnknown(f"positions of {where} differ")
