"""Cutting a document into the passages that are embedded for search by meaning.

Passage 0, the head, is the title and the description: what a page says it is about.
The body follows in passages of about `MIN_WORDS`–`MAX_WORDS` words cut on paragraph
boundaries: the extractor writes one block (paragraph, heading, list item) per line, so
a line break is a boundary; a line that does not end a sentence (a heading, a PDF line
wrapped mid-sentence) stays with the line after it. Short paragraphs are joined, an
over-long one is cut between sentences, and a sentence longer than `MAX_WORDS` between
words. Every body passage is a slice of `Document.text`, so its (start, end) offsets
can show it as a snippet. At most `MAX_PASSAGES` passages per document are kept.

The passages of a document depend only on fields its content hash covers, so an
embedding cached by content hash stays valid. The cap only cuts the list: the passages
kept under a smaller cap are the first ones under a larger cap, so `SCHEME` (what the
caches are keyed by) does not name it. Change `SCHEME` whenever the splitting changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.store import Document

SCHEME = "p1-head+150-250w"
MIN_WORDS = 150
MAX_WORDS = 250
# A last passage shorter than this is joined to the one before it, if the two fit in
# `MERGE_LIMIT` words (still well under the model's 512 tokens: ~1.5 tokens per word).
TAIL_WORDS = 50
MERGE_LIMIT = 300
# The cap on passages per document, the head included: the first ~750 words of a page.
# On the tuning queries caps of 2 to 8 ranked alike and 1 (the head alone) lost recall
# (`python -m bench relevance --caps 1,2,3,4,8`); embedding costs grow with the cap.
MAX_PASSAGES = 4
HEAD = 0  # index of the title + description passage

_LINE = re.compile(r"[^\n]+")
# Where a line ends a paragraph: terminal punctuation, maybe followed by a closing quote
# or bracket. A line ending in ':' or ';' introduces or continues a list: it stays with
# the next line.
_ENDS_BLOCK = re.compile(r"[.!?…][\"'”’)\]]*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Passage:
    """One passage: its text and, for body passages, its span in `Document.text`
    (the head has the empty span (0, 0))."""

    text: str
    start: int
    end: int


def head_text(doc: Document) -> str:
    """Passage 0: the title, and the description when it says more than the title."""
    title = " ".join(doc.title.split())
    description = " ".join(doc.description.split())
    if not description or description == title:
        return title
    sep = " " if title.endswith((".", "!", "?", ":")) else ". "
    return f"{title}{sep}{description}" if title else description


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of paragraphs: runs of lines up to one that ends a sentence."""
    out: list[tuple[int, int]] = []
    start = None
    for m in _LINE.finditer(text):
        if not m.group().strip():
            continue
        if start is None:
            start = m.start()
        if _ENDS_BLOCK.search(m.group()):
            out.append((start, m.end()))
            start = None
    if start is not None:
        out.append((start, len(text.rstrip())))
    return out


def _units(text: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """A paragraph as (start, end, words) units: its sentences, and a sentence longer
    than `MAX_WORDS` as chunks of `MAX_WORDS` words."""
    units = []
    pos = start
    bounds = [m.end() for m in _SENTENCE_END.finditer(text, start, end)] + [end]
    for b in bounds:
        words = [(m.start(), m.end()) for m in _WORD.finditer(text, pos, b)]
        for i in range(0, len(words), MAX_WORDS):
            chunk = words[i : i + MAX_WORDS]
            units.append((chunk[0][0], chunk[-1][1], len(chunk)))
        pos = b
    return units


def body_spans(text: str) -> list[tuple[int, int]]:
    """The body's passages as (start, end) spans of `text`, uncapped."""
    spans: list[list[int]] = []  # [start, end, words]
    current: list[int] | None = None
    for p_start, p_end in _paragraphs(text):
        units = _units(text, p_start, p_end)
        for k, (u_start, u_end, words) in enumerate(units):
            if current is not None and current[2] + words > MAX_WORDS:
                spans.append(current)
                current = None
            if current is None:
                current = [u_start, u_end, words]
            else:
                current[1], current[2] = u_end, current[2] + words
            # A paragraph's end is the preferred place to cut, once the passage is long
            # enough.
            if k == len(units) - 1 and current[2] >= MIN_WORDS:
                spans.append(current)
                current = None
    if current is not None:
        if spans and current[2] < TAIL_WORDS and spans[-1][2] + current[2] <= MERGE_LIMIT:
            spans[-1][1], spans[-1][2] = current[1], spans[-1][2] + current[2]
        else:
            spans.append(current)
    return [(s, e) for s, e, _ in spans]


def split_spans(doc: Document, max_passages: int | None = None) -> list[Passage]:
    """The document's passages, the head first, at most `max_passages` (default:
    `MAX_PASSAGES`, read at call time)."""
    cap = MAX_PASSAGES if max_passages is None else max_passages
    out = [Passage(head_text(doc), 0, 0)]
    for start, end in body_spans(doc.text):
        if len(out) >= cap:
            break
        out.append(Passage(doc.text[start:end], start, end))
    return out[: max(cap, 1)]


def split_passages(doc: Document, max_passages: int | None = None) -> list[str]:
    """The texts of `split_spans(doc)`: what is embedded, in row order."""
    return [p.text for p in split_spans(doc, max_passages)]
