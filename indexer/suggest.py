"""Spelling suggestions ("Bedoelde je ...?") from the index's own vocabulary.

The vocabulary is the surface words of the indexed documents with their frequencies, counted
at build time (`VocabularyCounter`) and written beside the index as `vocabulary.tsv`. It holds
real words as they appear in the text (with their diacritics), never stems, so a suggestion is
always something a reader would type.

Finding the closest words is a symmetric-delete search: every vocabulary word is filed under
itself and each form with one letter deleted; a typed word looks up itself, its one-deletion
and two-deletion forms. That finds every word within one edit and nearly all within two, in a
few dictionary lookups; candidates are then checked with a true Damerau-Levenshtein distance and
ranked by distance, then frequency.

Dutch spelling slips that are one sound but two edits are caught first: ij typed as y (or
y as ij), so "byeenkomst" finds "bijeenkomst". Several words are corrected at once, each on
its own, and a word typed without its space ("jeugdraadoprichten") is split into two known
words.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from .analysis import fold

VOCABULARY_FILE = "vocabulary.tsv"
MIN_WORD = 4  # shorter words are too often a different word one edit away
MIN_COUNT = 2  # a word seen once is as likely a typo on the page as a word
MAX_WORDS = 200_000  # most frequent words kept: bounds memory at 100k documents

_WORDS = re.compile(r"[^\W\d_]+")


class VocabularyCounter:
    """Counts surface words at build time; `write` puts the vocabulary beside the index."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, *texts: str) -> None:
        for text in texts:
            self.counts.update(w.lower() for w in _WORDS.findall(text) if len(w) >= MIN_WORD)

    def write(self, folder: Path, previous: Path | None = None) -> None:
        """Write `vocabulary.tsv`; on an update, add to the previous build's counts (words of
        removed pages linger until the next rebuild, which only makes a suggestion possible,
        never wrong)."""
        counts = Counter(self.counts)
        if previous is not None and (previous / VOCABULARY_FILE).is_file():
            counts.update(read_vocabulary(previous / VOCABULARY_FILE))
        # A new file, then a rename: an update's folder holds hard links to the previous
        # build's files, which must not be rewritten in place.
        tmp = folder / f".{VOCABULARY_FILE}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            for word, count in counts.most_common():
                handle.write(f"{word}\t{count}\n")
        os.replace(tmp, folder / VOCABULARY_FILE)


def read_vocabulary(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            word, _, count = line.rstrip("\n").partition("\t")
            if word and count.isdigit():
                counts[word] = int(count)
    return counts


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


class Suggester:
    """Closest vocabulary words to a typed word."""

    def __init__(self, counts: dict[str, int]) -> None:
        # folded form -> (surface form, count): the most frequent spelling wins (ideeën).
        self.words: dict[str, tuple[str, int]] = {}
        kept = sorted(
            ((w, c) for w, c in counts.items() if c >= MIN_COUNT and len(w) >= MIN_WORD),
            key=lambda wc: -wc[1],
        )[:MAX_WORDS]
        for word, count in kept:
            key = fold(word)
            old = self.words.get(key)
            self.words[key] = (old[0] if old else word, (old[1] if old else 0) + count)
        self.index: dict[str, list[str]] = {}
        for key in self.words:
            for form in {key} | _deletes(key):
                self.index.setdefault(form, []).append(key)

    @classmethod
    def from_file(cls, path: Path) -> Suggester:
        return cls(read_vocabulary(path) if path.is_file() else {})

    def __contains__(self, word: str) -> bool:
        return fold(word) in self.words

    def _ij_variant(self, typed: str) -> str | None:
        """A vocabulary word that differs from `typed` only in ij written as y or back."""
        for variant in (typed.replace("y", "ij"), typed.replace("ij", "y")):
            if variant != typed and variant in self.words:
                return self.words[variant][0]
        return None

    def split(self, word: str) -> str | None:
        """Two known words typed without the space between them, or None."""
        typed = fold(word)
        if len(typed) < 2 * MIN_WORD or not typed.isalpha():
            return None
        best: tuple[int, str] | None = None
        for i in range(MIN_WORD, len(typed) - MIN_WORD + 1):
            left, right = self.words.get(typed[:i]), self.words.get(typed[i:])
            if left and right:
                candidate = (-min(left[1], right[1]), f"{left[0]} {right[0]}")
                if best is None or candidate < best:
                    best = candidate
        return best[1] if best else None

    def correct(self, word: str) -> str | None:
        """The best real word within two edits (one for short words), or None."""
        typed = fold(word)
        if len(typed) < MIN_WORD or not typed.isalpha() or typed in self.words:
            return None
        variant = self._ij_variant(typed)
        if variant is not None:
            return variant
        limit = 1 if len(typed) < 6 else 2
        probes = {typed} | _deletes(typed)
        if limit > 1:
            probes |= {d2 for d1 in _deletes(typed) for d2 in _deletes(d1)}
        best: tuple[int, int, str] | None = None
        for probe in probes:
            for key in self.index.get(probe, ()):
                dist = distance(typed, key)
                if dist <= limit:
                    surface, count = self.words[key]
                    candidate = (dist, -count, surface)
                    if best is None or candidate < best:
                        best = candidate
        if best is None or best[0] > 1:
            # Two edits away or nothing: two words run together explain it better.
            return self.split(word) or (best[2] if best else None)
        return best[2]

    def suggest_query(self, words: Iterable[str], known: Callable[[str], bool]) -> str | None:
        """The typed words with every unknown one corrected, or None when nothing changed.
        `known(word)` says whether the index already matches a word as typed (an inflected
        form missing from the vocabulary is still known through its stem)."""
        out, changed = [], False
        for word in words:
            fixed = None if known(word) else self.correct(word)
            out.append(fixed or word)
            changed = changed or fixed is not None
        return " ".join(out) if changed else None
