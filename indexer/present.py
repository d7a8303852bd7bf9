"""Presenting a ranked match set: hits with snippets, and facet counts.

A hit is built from a document's stored fields in one place (`make_hit`); its snippet
shows the body's best passages with the query's words marked, else the title's; a
page found by meaning alone shows its best-matching passage. Facets are counted on bit
sets over the collapsed match set (`indexer/collapse.py`), so they agree with `total`.
"""

from __future__ import annotations

import html
from functools import reduce
from operator import and_

from whoosh import query as wq

from . import snippets
from .facets import BY_NAME
from .schema import FACET_FIELDS
from .search_types import Attachment, Copy, FacetValue, Hit

SNIPPET_CHARS = snippets.SNIPPET_CHARS


def split_list(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def make_hit(stored: dict, snippet: str, score: float, **extra) -> Hit:
    """A hit from a document's stored fields: the one place that maps them. Without a
    snippet the description (else the start of the text) stands in, escaped."""
    if not snippet:
        fallback = stored.get("description") or stored.get("body", "")[:SNIPPET_CHARS]
        snippet = html.escape(fallback)
    return Hit(
        id=stored["id"],
        url=stored["url"],
        title=stored["title"],
        site=stored["site"],
        type=stored["type"],
        themes=split_list(stored.get("themes")),
        audience=split_list(stored.get("audience")),
        date=stored.get("date") or None,
        snippet=snippet,
        score=score,
        description=stored.get("description", ""),
        fetched_at=stored.get("fetched_at", ""),
        word_count=int(stored.get("word_count") or 0),
        content_type=stored.get("content_type", "text/html"),
        **extra,
    )


def marked_words(q: wq.Query | None) -> tuple[dict, dict]:
    """(the words as typed and their synonyms, every word the query matches on). A
    snippet marks the first where the text has them, and falls back to the second (a
    compound's parts), so "jeugdraden" does not light up every "jeugd" and "raad"."""
    if q is None:
        return {}, {}
    return positive_terms(q, min_boost=1.0), positive_terms(q)


def lexical_snippet(stored: dict, words: tuple[dict, dict]) -> str:
    """The body's best passages with the query's words marked, else the title's."""
    for field_words in words:
        for fieldname, passages in (("body", 2), ("title", 1)):
            terms = field_words.get(fieldname, frozenset())
            text = snippets.snippet(stored.get(fieldname, ""), terms, top=passages)
            if text:
                return text
    return ""


def passage_snippet(text: str) -> str:
    """A passage found by meaning, cut at a word boundary, escaped."""
    text = " ".join(text.split())
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return html.escape(text)


def positive_terms(q: wq.Query, min_boost: float = 0.0) -> dict[str, frozenset[str]]:
    """Field -> the words a query looks for (not the excluded ones): what to mark.
    `min_boost` leaves out the low-weight leaves (a compound's parts)."""
    out: dict[str, set[str]] = {}

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.AndNot):
            walk(node.a)
        elif isinstance(node, wq.Not):
            return
        elif node.is_leaf():
            if getattr(node, "boost", 1.0) < min_boost:
                return
            for fieldname, text in node.terms(phrases=True):
                word = text.decode("utf-8") if isinstance(text, bytes) else text
                out.setdefault(fieldname, set()).add(word)
        else:
            for child in node.children():
                walk(child)

    walk(q)
    return {k: frozenset(v) for k, v in out.items()}


def copies_of(v, docnum: int) -> list[Copy]:
    out = []
    for other in v.groups.copies(docnum):
        d = v.searcher.stored_fields(other)
        out.append(Copy(id=d["id"], url=d["url"], site=d["site"], title=d["title"]))
    return sorted(out, key=lambda c: (c.site, c.id))


def attachment_of(v, docnum: int) -> Attachment | None:
    pdf = v.groups.pdf_of(docnum)
    if pdf is None:
        return None
    d = v.searcher.stored_fields(pdf)
    info = v.groups.pdfs[pdf]
    return Attachment(id=d["id"], url=d["url"], pages=info.pages, bytes=info.bytes)


def facet_values(name: str, groups: dict, selected: list[str], limit: int) -> list[FacetValue]:
    counts: dict[str, int] = {}
    for key, count in groups.items():
        if isinstance(key, bytes):
            key = key.decode("utf-8", "replace")
        if key in (None, "", 0):
            continue
        counts[str(key)] = counts.get(str(key), 0) + count
    for value in selected:  # a selected value always shows, even at 0
        counts.setdefault(value, 0)
    ordered = BY_NAME[name].order(counts)
    return [FacetValue(v, c, v in selected) for v, c in ordered[:limit]]


def facets(v, req, base_bits: int, filter_bits: dict[str, int]) -> dict:
    """Counts of every facet, in hits: a value's count is the total that filtering on
    it gives (each publication once). A facet with a selection is counted as if its own
    selection were lifted (disjunctive faceting), so the alternatives stay visible."""
    out: dict[str, list[FacetValue]] = {}
    selected_facets = {n for n, vals in req.filters.items() if vals}
    everything = reduce(and_, filter_bits.values(), base_bits)
    masks: dict[int, object] = {}
    for name in FACET_FIELDS:
        selected = [str(x) for x in req.filters.get(name, [])]
        scope = everything
        if name in selected_facets:
            others = [b for n, b in filter_bits.items() if n != name]
            scope = reduce(and_, others, base_bits)
        if scope not in masks:
            masks[scope] = v.bits.to_mask(scope)
        counts = v.groups.facet_counts(name, v.bits.counts(name, scope), masks[scope])
        out[name] = facet_values(name, counts, selected, req.facet_limit)
    return out
