"""Near-duplicate detection at index time: the same text republished on several
partner sites (a news item on bataljong.be, vvsg.be and debattle.be, each with its own
intro line or footer) is grouped, so the search page can show it once with "ook op".

Method: each document's body becomes a set of 5-word shingles (lower-cased word
n-grams), each hashed to 64 bits with blake2b (stable across processes, Python
versions and platforms: sketches are kept per build and compared with later ones).
A one-permutation MinHash sketch (Li, Owen and Zhang 2012) splits the hash range
into k = 128 bins and keeps the smallest hash in each: one pass over the shingles.
The share of agreeing bins among those filled in either sketch estimates the Jaccard
similarity. Candidate pairs come from LSH banding (42 bands of 3 bins: a pair at
J = 0.5 becomes a candidate with probability 0.996, one at J = 0.1 with 0.04); a
candidate whose estimated similarity is at least `THRESHOLD` is a near-duplicate, and
the groups are the connected components.

Threshold 0.5 sits in the middle of the gap between republished copies and texts that
merely share a passage on the sample corpus; the figures, and how to measure them again
(`python -m indexer.neardup --data-dir DIR`), are in docs/search.md.

Documents with fewer than `MIN_SHINGLES` shingles (a film page with one sentence) are
never grouped: two short texts agree by accident too easily.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import struct
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

SHINGLE_WORDS = 5
SKETCH_SIZE = 128  # bins; a power of two
BANDS, ROWS = 42, 3  # LSH bands of ROWS bins each (BANDS * ROWS <= SKETCH_SIZE)
THRESHOLD = 0.5
MIN_SHINGLES = 20
# A band bucket holding more documents than this is boilerplate or a generated corpus's
# shared sentence pool: it would make every pair of those documents a candidate.
MAX_BUCKET = 50
_BIN_SHIFT = 64 - SKETCH_SIZE.bit_length() + 1
_EMPTY = -1
_MASK = (1 << 64) - 1
_WORD = re.compile(r"\w+")


def _word_id(word: str, cache: dict[str, bytes]) -> bytes:
    """8 bytes per distinct word, stable (unlike hash() of a str, which is salted)."""
    value = cache.get(word)
    if value is None:
        value = hashlib.blake2b(word.encode(), digest_size=8).digest()
        cache[word] = value
    return value


def shingle_hashes(text: str, cache: dict[str, bytes] | None = None) -> set[int]:
    """The 64-bit hashes of the 5-word shingles of `text`: blake2b over the shingle's
    word ids, so the same text gives the same hashes in every process and release."""
    cache = {} if cache is None else cache
    words = b"".join(_word_id(w, cache) for w in _WORD.findall(text.lower()))
    width = 8 * SHINGLE_WORDS
    return {
        int.from_bytes(hashlib.blake2b(words[i : i + width], digest_size=8).digest(), "big")
        for i in range(0, len(words) - width + 1, 8)
    }


def sketch(text: str, cache: dict[str, bytes] | None = None) -> tuple[int, ...]:
    """The one-permutation MinHash sketch of `text`: per bin of the hash range, the
    smallest shingle hash in it (_EMPTY for none). Empty when the text has fewer than
    MIN_SHINGLES distinct shingles."""
    hashes = shingle_hashes(text, cache)
    if len(hashes) < MIN_SHINGLES:
        return ()
    bins = [_EMPTY] * SKETCH_SIZE
    for h in hashes:
        b = h >> _BIN_SHIFT
        if bins[b] == _EMPTY or h < bins[b]:
            bins[b] = h
    return tuple(bins)


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two sketches: of the bins filled in either, the
    share in which both hold the same smallest hash."""
    if not a or not b:
        return 0.0
    filled = same = 0
    for x, y in zip(a, b, strict=True):
        if x != _EMPTY or y != _EMPTY:
            filled += 1
            same += x == y
    return same / filled if filled else 0.0


def find_groups(texts: Iterable[tuple[str, str]], threshold: float = THRESHOLD) -> dict[str, str]:
    """Group near-duplicate documents. `texts` yields (document id, body text); it is
    read once. Returns document id -> group id (the smallest id in its group), for
    documents that have at least one near-duplicate; others are left out."""
    cache: dict[str, bytes] = {}
    sketches = {doc: sketch(text, cache) for doc, text in texts}
    return group_sketches(sketches, threshold)


def group_sketches(
    sketches: dict[str, tuple[int, ...]], threshold: float = THRESHOLD
) -> dict[str, str]:
    """`find_groups` from sketches already made (an index update keeps them per build,
    so it sketches only the documents that changed)."""
    buckets: dict[tuple, list[str]] = defaultdict(list)
    for doc, sk in sketches.items():
        if not sk:
            continue
        for band in range(BANDS):
            key = sk[band * ROWS : (band + 1) * ROWS]
            if _EMPTY not in key:  # empty bins agree by accident, not by shared text
                buckets[(band, *key)].append(doc)
    candidates: set[tuple[str, str]] = set()
    for docs in buckets.values():
        if 1 < len(docs) <= MAX_BUCKET:
            for i, a in enumerate(docs):
                for b in docs[i + 1 :]:
                    candidates.add((a, b) if a < b else (b, a))
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for a, b in candidates:
        if similarity(sketches[a], sketches[b]) >= threshold:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {doc: root(doc) for doc in parent} | {r: r for r in set(map(root, parent))}


_RECORD = struct.Struct(f"<16s64s{SKETCH_SIZE}Q")
# Names the shingle hash: a sketch file made with another one reads as empty, so its
# sketches are made again instead of being compared with incomparable ones.
_HEADER = b"kb-minhash-blake2b-v2\n".ljust(_RECORD.size, b"\0")


def save_sketches(path: Path, sketches: dict[str, tuple[str, tuple[int, ...]]]) -> None:
    """Write document id -> (content hash, sketch) as a header and fixed-size binary
    records."""
    with open(path, "wb") as out:
        out.write(_HEADER)
        for doc, (content_hash, sk) in sorted(sketches.items()):
            if len(sk) == SKETCH_SIZE and len(doc) == 16 and len(content_hash) == 64:
                out.write(_RECORD.pack(doc.encode(), content_hash.encode(),
                                       *(v & _MASK for v in sk)))  # fmt: skip


def load_sketches(path: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Read what `save_sketches` wrote; an absent or damaged file reads as empty (the
    sketches are then made again)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return {}
    if len(data) % _RECORD.size or not data.startswith(_HEADER):
        return {}
    out = {}
    for doc, content_hash, *values in _RECORD.iter_unpack(data[len(_HEADER) :]):
        out[doc.decode()] = (
            content_hash.decode(),
            tuple(_EMPTY if v == _MASK else v for v in values),
        )
    return out


def _report(data_dir: Path) -> None:
    """Print the exact and estimated similarities of the closest pairs of a crawl
    store, and the groups at THRESHOLD: how the threshold was chosen."""
    from crawler.store import CrawlStore

    from .schema import doc_id

    with CrawlStore(data_dir / "crawl.sqlite") as store:
        docs = {doc_id(d.url): d for d in store.documents()}
    shingles = {}
    for i, d in docs.items():
        words = _WORD.findall(d.text.lower())
        n = len(words) - SHINGLE_WORDS + 1
        shingles[i] = {" ".join(words[j : j + SHINGLE_WORDS]) for j in range(max(n, 0))}
    ids = sorted(docs)
    pairs = []
    for x, a in enumerate(ids):
        for b in ids[x + 1 :]:
            sa, sb = shingles[a], shingles[b]
            if sa and sb:
                pairs.append((len(sa & sb) / len(sa | sb), a, b))
    pairs.sort(reverse=True)
    sketches = {i: sketch(d.text) for i, d in docs.items()}
    print(f"{len(docs)} documents, {len(pairs)} pairs; closest pairs (exact / estimated):")
    for exact, a, b in pairs[:10]:
        est = similarity(sketches[a], sketches[b])
        print(f"  {exact:.3f} / {est:.3f}  {docs[a].site} ~ {docs[b].site}: {docs[a].title[:50]}")
    for t in (0.1, 0.2, 0.3, 0.5, 0.7, 0.9):
        print(f"  pairs with exact Jaccard >= {t}: {sum(1 for p in pairs if p[0] >= t)}")
    groups = find_groups((i, d.text) for i, d in docs.items())
    members: dict[str, list[str]] = defaultdict(list)
    for i, g in groups.items():
        members[g].append(docs[i].site)
    print(f"groups at threshold {THRESHOLD}: {len(members)}")
    for sites in members.values():
        print("  " + ", ".join(sorted(sites)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=_report.__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    _report(args.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
