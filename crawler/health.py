"""Extraction health per source: does what we extract still look like content?

A site redesign breaks a configured content selector silently: pages still come in,
but the text now comes from the generic path. A login wall, a cookie wall or a soft
404 turns many pages into the same text. Per source and run this module counts:

- the HTML documents extracted this run, and on how many the configured content
  selector matched nothing (`selector_missed`);
- the median text length (characters) of the source's stored documents;
- the stored documents whose text is nearly the same as that of at least
  `NEAR_DUPLICATE_GROUP - 1` others (64-bit simhash over word 3-grams, Hamming
  distance ≤ `NEAR_DUPLICATE_BITS`).

It turns them into warnings, each with a kind and a Dutch message for staff (the run
report, `kennisbank crawl`'s output and exit code, the "Bronnen" page):

- `selector_missed`: the selector missed on most (more than `MISS_SHARE`) of at
  least `MIN_PAGES_FOR_WARNING` pages of the run;
- `near_duplicates`: more than `NEAR_DUPLICATE_SHARE` of the stored documents (and at
  least `MIN_PAGES_FOR_WARNING`) are near-duplicates of many others.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np

from .config import Source
from .extract import Extracted
from .store import Document

MISS_SHARE = 0.5
MIN_PAGES_FOR_WARNING = 3
NEAR_DUPLICATE_GROUP = 3  # a text shared by this many pages or more
NEAR_DUPLICATE_BITS = 3
NEAR_DUPLICATE_SHARE = 0.2
EXAMPLES = 3
_WORD = re.compile(r"\w+")
MAX_WORDS = 5000


def simhash(text: str) -> int:
    """A 64-bit simhash of the word 3-grams of the text's first `MAX_WORDS` words
    (enough to tell a wall from an article; a hostile page of millions of words must
    not cost more)."""
    tokens = _WORD.findall(text[: MAX_WORDS * 20].lower())[:MAX_WORDS]
    grams = [" ".join(tokens[i : i + 3]) for i in range(max(1, len(tokens) - 2))]
    # Python's string hash is salted per process; fingerprints are only compared
    # within one run, so that is fine and much faster than a cryptographic hash.
    hashes = np.array([hash(g) & 0xFFFFFFFFFFFFFFFF for g in grams], dtype=np.uint64)
    one = np.uint64(1)
    fingerprint = 0
    for bit in range(64):  # one bit at a time: memory stays one array of the grams
        if 2 * int(((hashes >> np.uint64(bit)) & one).sum()) > len(grams):
            fingerprint |= 1 << bit
    return fingerprint


def near_duplicate_groups(texts: dict[str, str]) -> list[list[str]]:
    """Groups (of at least `NEAR_DUPLICATE_GROUP`) of keys whose texts are nearly the same."""
    prints = {key: simhash(text) for key, text in texts.items()}
    parent = {key: key for key in prints}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    # Two fingerprints within 3 bits agree exactly on at least one of four 16-bit bands.
    for band in range(4):
        buckets: dict[int, list[str]] = defaultdict(list)
        for key, fp in prints.items():
            buckets[(fp >> (16 * band)) & 0xFFFF].append(key)
        for members in buckets.values():
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    if (prints[a] ^ prints[b]).bit_count() <= NEAR_DUPLICATE_BITS:
                        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for key in prints:
        groups[root(key)].append(key)
    return sorted(
        (sorted(g) for g in groups.values() if len(g) >= NEAR_DUPLICATE_GROUP),
        key=lambda g: (-len(g), g[0]),
    )


class ExtractionHealth:
    """Counts for one source's crawl; `summary()` at its end."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.pages = 0
        self.selector_missed = 0
        self.methods: Counter = Counter()
        self.missed_examples: list[str] = []

    def saw(self, url: str, extracted: Extracted) -> None:
        """One HTML page that became a document this run."""
        self.pages += 1
        self.methods[extracted.method] += 1
        if extracted.selector_missed:
            self.selector_missed += 1
            if len(self.missed_examples) < EXAMPLES:
                self.missed_examples.append(url)

    def summary(self, documents: Iterable[Document]) -> dict:
        """The health entry of the run report, from this run's counts and the
        source's stored documents."""
        texts = {d.url: d.text for d in documents if d.content_type == "text/html"}
        lengths = [len(t) for t in texts.values()]
        groups = near_duplicate_groups(texts)
        near = sum(len(g) for g in groups)
        warnings = []
        if (
            self.source.content_selector
            and self.pages >= MIN_PAGES_FOR_WARNING
            and self.selector_missed > MISS_SHARE * self.pages
        ):
            warnings.append(
                {
                    "kind": "selector_missed",
                    "message": (
                        f"de inhoudsselector {self.source.content_selector!r} vond niets op "
                        f"{self.selector_missed} van de {self.pages} pagina's; is de site "
                        "vernieuwd? De tekst kwam van de algemene extractie."
                    ),
                }
            )
        if len(texts) >= MIN_PAGES_FOR_WARNING and near > NEAR_DUPLICATE_SHARE * len(texts):
            warnings.append(
                {
                    "kind": "near_duplicates",
                    "message": (
                        f"{near} van de {len(texts)} pagina's hebben bijna dezelfde tekst als "
                        "veel andere (een inlogmuur, een cookiemuur, een 'niet gevonden'-pagina?)"
                    ),
                }
            )
        return {
            "pages": self.pages,
            "selector": self.source.content_selector,
            "selector_missed": self.selector_missed,
            "selector_missed_examples": self.missed_examples,
            "methods": dict(sorted(self.methods.items())),
            "documents": len(texts),
            "median_chars": int(statistics.median(lengths)) if lengths else 0,
            "near_duplicates": near,
            "near_duplicate_examples": [g[:EXAMPLES] for g in groups[:EXAMPLES]],
            "warnings": warnings,
        }
