"""A stored document's text as blocks to read: headings, paragraphs and lists, with the
query's words marked.

The crawl store keeps a page's text as one line per block (crawler/extract.py); which
lines were headings is recorded beside it (`Document.headings`), so a line equal to one
of them is shown as a heading. Lines that start with a list marker ("•", "-", "1.")
become a list. A PDF's text is one line per printed line: lines are rejoined into
paragraphs (a paragraph ends at a line that ends a sentence well short of the full line
width; a word broken with a hyphen at a line end is put back together), and a short line
without final punctuation between two paragraphs is read as a heading.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup

from indexer.analysis import analyze
from indexer.query import analyzed_positions, parse_user_query

_MARKER = re.compile(r"^(?:[•▪◦·*–-]|\d{1,2}[.)])\s+")
_WORD = re.compile(r"\w+(?:['’]\w+)?")
_SENTENCE_END = (".", "!", "?", ":", '"', "”", ")")
# A PDF line this much shorter than the longest line (and ending a sentence) ends a paragraph.
SHORT_LINE = 0.8
HEADING_CHARS = 80  # a PDF heading is a short line


@dataclass
class Block:
    kind: str  # h | p | ul | ol
    text: str = ""
    items: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _add_item(blocks: list[Block], marker: re.Match, line: str) -> None:
    """A marked line as an item of the list it continues, or of a new one."""
    kind = "ol" if marker.group(0).strip()[0].isdigit() else "ul"
    item = line[marker.end() :]
    if blocks and blocks[-1].kind == kind:
        blocks[-1].items.append(item)
    else:
        blocks.append(Block(kind, items=[item]))


def _lists(lines: list[str], headings: set[str]) -> list[Block]:
    """Lines -> blocks: headings by name, runs of marked lines as lists, else paragraphs."""
    blocks: list[Block] = []
    for line in lines:
        marker = _MARKER.match(line)
        if _norm(line) in headings:
            blocks.append(Block("h", line))
        elif marker:
            _add_item(blocks, marker, line)
        else:
            blocks.append(Block("p", line))
    return blocks


def html_blocks(text: str, headings: list[str]) -> list[Block]:
    """An HTML page's stored text as blocks."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return _lists(lines, {_norm(h) for h in headings if h.strip()})


def pdf_blocks(text: str) -> list[Block]:
    """A PDF's one-line-per-printed-line text as paragraphs, headings and lists."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        return []
    width = max(len(line) for line in lines)
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("p", _rejoin(paragraph)))
            paragraph.clear()

    for i, line in enumerate(lines):
        marker = _MARKER.match(line)
        following = lines[i + 1] if i + 1 < len(lines) else ""
        is_heading = (
            (not paragraph or paragraph[-1].endswith(_SENTENCE_END))
            and len(line) <= HEADING_CHARS
            and not line.endswith((".", ",", ";", ":"))
            and (not following or following[:1].isupper() or _MARKER.match(following))
            and len(line) < SHORT_LINE * width
        )
        if marker and is_heading and marker.group(0).strip()[0].isdigit():
            flush()
            blocks.append(Block("h", line))  # "1. Waarom een jeugdraad?"
            continue
        if marker:
            flush()
            _add_item(blocks, marker, line)
            continue
        if is_heading:
            flush()
            blocks.append(Block("h", line))
            continue
        paragraph.append(line)
        if line.endswith(_SENTENCE_END) and len(line) < SHORT_LINE * width:
            flush()
    flush()
    return blocks


def _rejoin(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        # "jeugd-" + "raad": a word broken at the line end; "jeugd-" + "en" (jeugd- en
        # jongerenwerk) is kept as typed.
        if re.search(r"\w-$", out) and line[:1].islower() and not re.match(r"(en|of)\b", line):
            out = out[:-1] + line
        else:
            out = out + " " + line
    return out


def blocks_for(text: str, content_type: str, headings: list[str], title: str = "") -> list[Block]:
    """The blocks of a stored text; a first line repeating the title is left out."""
    first, _, rest = text.lstrip().partition("\n")
    if title and _norm(first) == _norm(title):
        text = rest
    if content_type == "application/pdf":
        return pdf_blocks(text)
    return html_blocks(text, headings)


# --- marking the query's words ---------------------------------------------------


def query_terms(query: str) -> frozenset[str]:
    """The analysed forms of the words and phrases a query looks for (not the excluded
    ones); a compound's whole-word form only, so its parts do not light up everywhere."""
    parsed = parse_user_query(query)
    terms: set[str] = set()
    for text in (*parsed.words, *parsed.phrases):
        for group in analyzed_positions(text):
            terms.add(group[0])
    return frozenset(terms)


@lru_cache(maxsize=50_000)
def _forms(word: str) -> frozenset[str]:
    return frozenset(analyze(word))


def marked(text: str, terms: frozenset[str]) -> Markup:
    """`text` escaped, with the words matching `terms` in <mark>."""
    if not terms:
        return Markup(html.escape(text))
    out, pos = [], 0
    for m in _WORD.finditer(text):
        if _forms(m.group()) & terms:
            out.append(html.escape(text[pos : m.start()]))
            out.append(f"<mark>{html.escape(m.group())}</mark>")
            pos = m.end()
    out.append(html.escape(text[pos:]))
    return Markup("".join(out))
