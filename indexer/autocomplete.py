"""Suggestions as you type: titles, themes and frequent phrases that complete a prefix.

Built in memory once per index version (`Completer.build`), from what the open searcher
already has: every document's title and description (stored fields), the theme and
audience facet values with their document counts, and the most frequent words of the
index's vocabulary. Frequent phrases are the word pairs and triples that recur in titles
and descriptions (no stopword at either end).

Every entry is filed under each of its word starts, folded (lowercase, no diacritics),
so "raad" completes "jeugdraad" only as a word start ("raad van" would, "aad" would not):
one sorted list of keys, a bisect for the prefix's range, then the best few of that range
by kind and weight. Prefixes shorter than MIN_PREFIX answer nothing.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .analysis import fold, stopwords
from .suggest import read_vocabulary

log = logging.getLogger(__name__)

MIN_PREFIX = 2
MAX_PREFIX = 100
MAX_LIMIT = 20
# How many keys of a prefix's range are looked at: a one-letter-and-a-bit prefix at
# 100k documents must not walk the whole list.
MAX_SCAN = 20_000
MIN_PHRASE_COUNT = 2  # a phrase must recur to be "frequent"
MAX_WORDS = 20_000  # frequent vocabulary words kept
MIN_WORD_COUNT = 3
# Kinds, best first on equal match: a theme names a filter, a title a document.
KIND_RANK = {"thema": 4, "doelgroep": 3, "titel": 2, "zoekterm": 1}

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@dataclass(frozen=True)
class Completion:
    """One suggestion: what to show, what kind of thing it is, and what it leads to
    (a facet value to filter on, a document id, else a query)."""

    text: str
    kind: str  # thema | doelgroep | titel | zoekterm
    value: str = ""  # the facet value (thema, doelgroep) or the document id (titel)
    weight: float = 0.0


def _starts(folded: str) -> Iterable[str]:
    """The folded label from each of its word starts on."""
    for m in _WORD.finditer(folded):
        yield folded[m.start() :]


def frequent_phrases(texts: Iterable[str], min_count: int = MIN_PHRASE_COUNT) -> Counter[str]:
    """Word pairs and triples that recur in `texts`, lowercased, with no stopword at
    either end; counted once per text."""
    stops = stopwords()
    counts: Counter[str] = Counter()
    for text in texts:
        words = [w.lower() for w in _WORD.findall(text)]
        seen: set[str] = set()
        for n in (2, 3):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if fold(gram[0]) in stops or fold(gram[-1]) in stops:
                    continue
                if any(len(w) < 2 or w.isdigit() for w in gram):
                    continue
                seen.add(" ".join(gram))
        counts.update(seen)
    return Counter({p: c for p, c in counts.items() if c >= min_count})


class Completer:
    """Prefix completion over one index version's titles, facet values and phrases."""

    def __init__(self, entries: Iterable[Completion]) -> None:
        best: dict[tuple[str, str], Completion] = {}
        for entry in entries:
            key = (fold(entry.text), entry.kind)
            old = best.get(key)
            if old is None or entry.weight > old.weight:
                best[key] = entry
        self.entries: list[Completion] = list(best.values())
        self._folded = [fold(entry.text) for entry in self.entries]
        keyed = sorted((start, n) for n, text in enumerate(self._folded) for start in _starts(text))
        self._keys = [k for k, _ in keyed]
        self._refs = [n for _, n in keyed]

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def build(
        cls,
        documents: Iterable[tuple[str, str, str]],
        facets: dict[str, dict[str, int]],
        vocabulary: dict[str, int],
    ) -> Completer:
        """`documents`: (id, title, description) of every document; `facets`: facet name
        ("theme", "audience") -> value -> document count; `vocabulary`: word -> count."""
        entries: list[Completion] = []
        texts: list[str] = []
        for doc_id, title, description in documents:
            if title:
                entries.append(Completion(title, "titel", doc_id, 1.0))
                texts.append(title)
            if description:
                texts.append(description)
        for facet, kind in (("theme", "thema"), ("audience", "doelgroep")):
            for value, count in facets.get(facet, {}).items():
                if value and count:
                    entries.append(Completion(value, kind, value, float(count)))
        for phrase, count in frequent_phrases(texts).items():
            entries.append(Completion(phrase, "zoekterm", "", float(count)))
        stops = stopwords()
        words = [
            (w, c)
            for w, c in vocabulary.items()
            if c >= MIN_WORD_COUNT and len(w) >= 3 and fold(w) not in stops
        ]
        for word, count in heapq.nlargest(MAX_WORDS, words, key=lambda wc: wc[1]):
            entries.append(Completion(word, "zoekterm", "", float(count)))
        return cls(entries)

    @classmethod
    def from_searcher(
        cls, searcher, facet_bits: dict[str, dict], vocabulary_file: Path
    ) -> Completer:
        """Built from an open Whoosh searcher (its stored titles and descriptions), the
        facet bit sets by facet name and value (indexer/bitsets.py), and the build's
        vocabulary file (indexer/suggest.py)."""
        docs = (
            (d.get("id", ""), d.get("title", ""), d.get("description", ""))
            for d in searcher.all_stored_fields()
        )
        facets = {
            name: {
                str(value): int(bits).bit_count()
                for value, bits in facet_bits.get(name, {}).items()
            }
            for name in ("theme", "audience")
        }
        vocabulary = read_vocabulary(vocabulary_file) if vocabulary_file.is_file() else {}
        completer = cls.build(docs, facets, vocabulary)
        log.info("autocomplete: %d entries", len(completer))
        return completer

    def complete(self, prefix: str, limit: int = 8) -> list[Completion]:
        """The best `limit` entries with a word starting with `prefix` (the label's start
        first, then themes, audiences, titles and phrases, then by weight)."""
        typed = " ".join(fold(prefix).split())[:MAX_PREFIX]
        limit = max(0, min(limit, MAX_LIMIT))
        if len(typed) < MIN_PREFIX or not limit:
            return []
        low = bisect.bisect_left(self._keys, typed)
        high = min(bisect.bisect_left(self._keys, typed + "\uffff"), low + MAX_SCAN)
        scored: dict[int, tuple] = {}
        for i in range(low, high):
            n = self._refs[i]
            if n in scored:
                continue
            entry = self.entries[n]
            at_start = self._folded[n].startswith(typed)
            scored[n] = (at_start, KIND_RANK.get(entry.kind, 0), entry.weight, -len(entry.text))
        out: list[Completion] = []
        shown: set[str] = set()
        # The same words as a theme, an audience and a phrase are shown once, as the best.
        for n in heapq.nlargest(limit * 4, scored, key=lambda n: scored[n]):
            if self._folded[n] not in shown:
                shown.add(self._folded[n])
                out.append(self.entries[n])
                if len(out) == limit:
                    break
        return out
