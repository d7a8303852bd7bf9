"""Snippets: the part of a document that shows why it matched, query words in <mark>.

Whoosh's highlighter runs the whole Dutch analyzer over each hit's stored text, which
made an export of 10,000 hits take seconds per thousand. Here the text is split into
words by one regular expression and each distinct word is analysed once per process
(cached): a word is marked when one of its analysed forms (stem, compound parts) is a
term the query looks for. The best window — the most marked words within
`SNIPPET_CHARS` — is shown, the second best after " … " when it does not overlap.
The work per document is bounded (MAX_SCAN_CHARS, MAX_MARKS), so one huge page cannot
stall a search.
Everything else is HTML-escaped.
"""

from __future__ import annotations

import bisect
import html
import re
from functools import lru_cache

from .analysis import analyze

SNIPPET_CHARS = 240
CONTEXT_BEFORE = 60
MEMO_WORDS = 100_000  # distinct words remembered per query
# The bound on one document's snippet work: the words read and the matches weighed. A
# match further into a very long page is not shown (the description stands in).
MAX_SCAN_CHARS = 200_000
MAX_MARKS = 2_000
_WORD = re.compile(r"\w+(?:['’]\w+)?")


@lru_cache(maxsize=100_000)
def _forms(word: str) -> frozenset[str]:
    return frozenset(analyze(word))


class _Marked(dict):
    """Word -> whether it is marked for one query's terms, filled as words are met."""

    def __init__(self, terms: frozenset[str]) -> None:
        super().__init__()
        self.terms = terms

    def __missing__(self, word: str) -> bool:
        marked = self[word] = bool(_forms(word) & self.terms)
        return marked


@lru_cache(maxsize=8)
def _marked_words(terms: frozenset[str]) -> _Marked:
    """The memo of one query: an export makes thousands of snippets for one query, and
    then looking a word up is one dict access."""
    return _Marked(terms)


def _windows(text: str, marks: list[tuple[int, int]], top: int) -> list[tuple[int, int]]:
    """Up to `top` non-overlapping windows of at most SNIPPET_CHARS, densest first.

    Linear in the number of marks (one pass with two pointers, then a sort): a page
    holding a word tens of thousands of times must not cost the square of that."""
    chosen: list[tuple[int, int]] = []
    candidates = []
    last = 0  # first mark that no longer fits in the window starting at mark i
    for i, (start, _) in enumerate(marks):
        begin = max(0, start - CONTEXT_BEFORE)
        end = min(len(text), begin + SNIPPET_CHARS)
        last = max(last, i)
        while last < len(marks) and marks[last][1] <= end:
            last += 1
        candidates.append((i - last, begin, end))
    for _, begin, end in sorted(candidates):
        if all(end <= b or begin >= e for b, e in chosen):
            chosen.append((begin, end))
            if len(chosen) == top:
                break
    return sorted(chosen)


def _find_marks(text: str, marked: dict) -> list[tuple[int, int]]:
    """Spans of the marked words, from at most the first MAX_SCAN_CHARS characters and
    at most MAX_MARKS of them: the work per document is bounded whatever its size."""
    marks = []
    for m in _WORD.finditer(text, 0, min(len(text), MAX_SCAN_CHARS)):
        if marked[m.group()]:
            marks.append(m.span())
            if len(marks) >= MAX_MARKS:
                break
    return marks


def _snap(text: str, begin: int, end: int) -> tuple[int, int]:
    # Do not cut words in half at the window's edges.
    if begin > 0:
        space = text.find(" ", begin, begin + 20)
        begin = space + 1 if space != -1 else begin
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        end = space if space != -1 else end
    return begin, end


def snippet(text: str, terms: frozenset[str], top: int = 2) -> str:
    """HTML: the best part(s) of `text` with words matching `terms` in <mark>; "" when
    no word matches."""
    if not text or not terms:
        return ""
    marked = _marked_words(terms)
    if len(marked) > MEMO_WORDS:
        marked.clear()
    marks = _find_marks(text, marked)
    if not marks:
        return ""
    parts = []
    for begin, end in _windows(text, marks, top):
        begin, end = _snap(text, begin, end)
        out, pos = [], begin
        for s, e in marks[bisect.bisect_left(marks, (begin, 0)) :]:
            if s >= end:
                break
            if e <= end:
                out.append(html.escape(text[pos:s]))
                out.append(f"<mark>{html.escape(text[s:e])}</mark>")
                pos = e
        out.append(html.escape(text[pos:end]))
        parts.append("".join(out).strip())
    return " … ".join(parts)
