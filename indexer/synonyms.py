"""Domain synonyms and abbreviations (corpus/lang/synonyms.txt), applied at query time.

Why at query time and not at index time: the file is a reviewable list that staff will keep
editing (a new abbreviation, a group that proved too broad). Expanding the query means a change
takes effect when the server reloads the file, with no re-index of 100,000 documents; the index
keeps the words as written, so scoring stays honest (a page that says "BOA" ten times is not
counted as saying "buitenschoolse opvang en activiteiten" ten times too); and multi-word members
become phrase queries, which an index-time token filter could not express. The price is a few
more query clauses, which is cheap at our query lengths.

Members are matched on their analysed form (the same Dutch analysis as the index), so a query
for "jeugdconsulenten" or "IVRK" meets its group whatever the plural or case.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path

from .analysis import LANG_DIR, analyze, analyzed_positions

SYNONYMS_FILE = LANG_DIR.joinpath("synonyms.txt")

Key = tuple[str, ...]


def member_key(text: str) -> Key:
    """A member's analysed words, the whole word only (not a compound's parts)."""
    return tuple(group[0] for group in analyzed_positions(text))


@lru_cache(maxsize=4)
def load_groups(path: Path | Traversable = SYNONYMS_FILE) -> dict[Key, tuple[str, ...]]:
    """Analysed key of every member -> all members of its group, as written."""
    groups: dict[Key, tuple[str, ...]] = {}
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            members = tuple(m.strip() for m in line.split("|") if m.strip())
            if len(members) < 2:
                raise ValueError(f"synonyms.txt: a group needs two members: {line!r}")
            for member in members:
                key = member_key(member)
                if key:
                    groups[key] = members
    return groups


def find_spans(words: list[str], groups: dict[Key, tuple[str, ...]] | None = None):
    """(start, end, members) for every synonym member found in the typed words, longest first,
    not overlapping. Words that analyse to nothing (stopwords) are skipped inside a span."""
    groups = load_groups() if groups is None else groups
    if not groups:
        return []
    longest = max(len(k) for k in groups)
    keys = [tuple(analyze_whole(w)) for w in words]
    spans = []
    start = 0
    while start < len(words):
        found = None
        for end in range(len(words), start, -1):
            flat = tuple(t for k in keys[start:end] for t in k)
            if not flat or len(flat) > longest or not keys[start] or not keys[end - 1]:
                continue
            members = groups.get(flat)
            if members is not None:
                found = (start, end, members)
                break
        if found:
            spans.append(found)
            start = found[1]
        else:
            start += 1
    return spans


@lru_cache(maxsize=50_000)
def analyze_whole(word: str) -> tuple[str, ...]:
    """The analysed whole words of one typed word (stopwords give an empty tuple)."""
    return member_key(word) if analyze(word) else ()
