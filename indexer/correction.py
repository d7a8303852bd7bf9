"""Spelling correction: "Bedoelde je …?" when a query finds little, and the corrected
query's hits when it finds nothing at all."""

from __future__ import annotations

from .query import ParsedQuery, analyzed_positions

# "Bedoelde je ...?" is offered when a query finds fewer hits than this.
SUGGEST_BELOW = 3


def correction_for(v, parsed: ParsedQuery, total: int, page: int) -> str | None:
    """The corrected query to offer, or None."""
    words = parsed.words
    if total >= SUGGEST_BELOW or not words or page != 1:
        return None

    def known(word: str) -> bool:
        positions = analyzed_positions(word)
        return not positions or all(
            any(v.searcher.doc_frequency(f, group[0]) for f in ("title", "body"))
            for group in positions
        )

    return v.suggester.suggest_query(words, known)
