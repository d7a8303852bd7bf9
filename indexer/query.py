"""From what a user types to a Whoosh query.

The syntax is small on purpose: plain words, "quoted phrases", -excluded words or
phrases, and OR (or the Dutch OF, in capitals) between words. Anything else is read as
plain words, so no input is ever a syntax error. Every word goes through the same Dutch
analysis as the index.
Documents matching all words rank above those matching some, but a query never
returns nothing just because one word is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as wq

from .analysis import analyzed_positions, dutch_analyzer
from .numbers import other_form
from .schema import FIELD_BOOSTS
from .synonyms import find_spans

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 32
# Coordination bonus of the word clauses (Whoosh Or(scale=...)): matching more of the
# words is worth more.
COORDINATION = 0.9
# Words that appear close together (within a few positions) get this extra boost.
PROXIMITY_BOOST = 1.5
PROXIMITY_SLOP = 4
# A compound typed as one word also matches its parts written apart ("participatie van
# jongeren" for jongerenparticipatie), at a lower weight than the compound itself: parts found
# apart (kinderen ... gemeenteraad for kinderraad) say less than the word as typed. (A span
# query that demanded the parts near each other measured only 0.006 nDCG@10 better and made
# the API's snippets disagree with the export's, which mark every query term.)
PARTS_BOOST = 0.3

# Between words: the alternatives on either side. Capitals only: "of" is a Dutch word.
OR_WORDS = ("OR", "OF")

_TOKEN = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')


@dataclass
class ParsedQuery:
    """What the user asked for, before it becomes a Whoosh query."""

    groups: list[list[str]] = field(default_factory=list)  # OR-separated groups of words
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(self.groups) and not self.phrases

    @property
    def words(self) -> list[str]:
        return [w for g in self.groups for w in g]


def parse_user_query(text: str) -> ParsedQuery:
    """Split user input into words, phrases, exclusions and OR groups."""
    text = text[:MAX_QUERY_CHARS].replace("\x00", " ")
    if text.count('"') % 2:
        text = text.replace('"', " ")
    parsed = ParsedQuery(groups=[[]])
    for m in _TOKEN.finditer(text):
        minus_phrase, phrase, minus_word, word = m.groups()
        if phrase is not None:
            phrase = phrase.strip()
            if not phrase:
                continue
            (parsed.excluded if minus_phrase else parsed.phrases).append(phrase)
            continue
        if word in OR_WORDS:
            if parsed.groups[-1]:
                parsed.groups.append([])
            continue
        if word in ("AND", "NOT", "+", "-", "*", "|", "&&", "||"):
            continue
        word = word.strip("()[]{}*?!,;:+^~\\")
        if not word or word == "-":
            continue
        if minus_word and len(word) > 0:
            parsed.excluded.append(word)
        else:
            parsed.groups[-1].append(word)
    parsed.groups = [g for g in parsed.groups if g]
    return parsed


MATCH_FIELD = "body"
BOOST_FIELDS = tuple(f for f in FIELD_BOOSTS if f != MATCH_FIELD)


def _term_over_fields(token: str, boost: float = 1.0) -> wq.Query:
    # Matching happens in `body` alone (it holds every word of the page); the other
    # fields add weight through `_field_boosts`, evaluated only for documents that match.
    return wq.Term(MATCH_FIELD, token, boost=FIELD_BOOSTS[MATCH_FIELD] * boost)


def _field_boosts(parsed: ParsedQuery) -> wq.Query | None:
    """Extra weight for the query's words in the title, headings and description."""
    tokens: list[str] = []
    # A synonym names the same thing: in a title it weighs as much as the word typed.
    synonyms = [m for g in parsed.groups for _, _, members in find_spans(g) for m in members]
    numbers = [n for n in map(other_form, parsed.words) if n]
    for text in (*parsed.words, *parsed.phrases, *synonyms, *numbers):
        for group in analyzed_positions(text):
            if group[0] not in tokens:
                tokens.append(group[0])
    if not tokens:
        return None
    return wq.Or(
        [wq.Term(f, t, boost=FIELD_BOOSTS[f]) for f in BOOST_FIELDS for t in tokens[:MAX_CLAUSES]]
    )


def _parts_query(parts: list[str]) -> wq.Query:
    """All of a compound's parts, each in any field, at the lower parts weight."""
    return wq.And([_term_over_fields(p, PARTS_BOOST) for p in parts])


def _position_query(tokens: list[str]) -> wq.Query:
    if len(tokens) == 1:
        return _term_over_fields(tokens[0])
    # A page matches a compound if it has the whole word, or its modifier and its head
    # (participatie van jongeren ~ jongerenparticipatie). The analyzer emits the
    # top-level split first, then the parts of the parts, so the first two are (nearly always)
    # modifier and head.
    whole, parts = tokens[0], tokens[1:3]
    if len(parts) == 1:
        return _term_over_fields(whole)
    return wq.Or([_term_over_fields(whole), _parts_query(parts)])


def word_query(word: str) -> wq.Query | None:
    """One typed word: its analysed tokens over every text field."""
    positions = analyzed_positions(word)
    if not positions:
        return None
    clauses = [_position_query(tokens) for tokens in positions]
    return clauses[0] if len(clauses) == 1 else wq.And(clauses)


def phrase_query(text: str, slop: int = 1, boost: float = 1.0) -> wq.Query | None:
    groups: dict[int, str] = {}
    for token in dutch_analyzer()(text, positions=True, mode="query"):
        groups.setdefault(token.pos, token.text)
    positions = sorted(groups)
    tokens = [groups[p] for p in positions]
    if not tokens:
        return None
    if len(tokens) == 1:
        return _term_over_fields(tokens[0])
    # Stopwords leave gaps in the positions ("begin en einde" -> begin@0, eind@2); a
    # phrase must allow the widest gap it contains, or it could never match.
    gap = max(b - a for a, b in zip(positions, positions[1:], strict=False))
    slop = max(slop, gap + slop - 1)
    return wq.Phrase(MATCH_FIELD, tokens, slop=slop, boost=boost * FIELD_BOOSTS[MATCH_FIELD])


def _member_query(member: str) -> wq.Query | None:
    if len(analyzed_positions(member)) > 1:
        return phrase_query(member, slop=1)
    return word_query(member)


def _concept_query(members: tuple[str, ...]) -> wq.Query | None:
    """What the user typed, or any of its synonyms (corpus/lang/synonyms.txt)."""
    clauses = [q for q in (_member_query(m) for m in members) if q is not None]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else wq.Or(clauses)


def _labelled_clauses(words: list[str]) -> list[tuple[str, wq.Query]]:
    """(the words as typed, their clause): one clause per typed word, except that a span
    of words naming a synonym group becomes one clause for the whole group, and a number
    also matches its other spelling (16 and zestien)."""
    spans = {start: (end, members) for start, end, members in find_spans(words)}
    out: list[tuple[str, wq.Query | None]] = []
    i = 0
    while i < len(words):
        if i in spans:
            end, members = spans[i]
            out.append((" ".join(words[i:end]), _concept_query(members)))
            i = end
            continue
        word = words[i]
        other = other_form(word)
        out.append((word, _concept_query((word, other)) if other else word_query(word)))
        i += 1
    return [(label, q) for label, q in out if q is not None]


def _word_clauses(words: list[str]) -> list[wq.Query]:
    return [q for _, q in _labelled_clauses(words)]


def _group_query(words: list[str]) -> wq.Query | None:
    clauses = _word_clauses(words[:MAX_CLAUSES])
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]
    # One Or with a coordination bonus (Whoosh's SQR): a page with more of the words
    # scores higher, and none is required. (An And boosted above an Or of the same
    # clauses ranked no better on the judged queries and walked every posting twice.)
    return wq.Or(clauses, scale=COORDINATION)


def _proximity(words: list[str]) -> wq.Query | None:
    if len(words) < 2:
        return None
    near = phrase_query(" ".join(words[:MAX_CLAUSES]), slop=PROXIMITY_SLOP, boost=PROXIMITY_BOOST)
    return near if isinstance(near, wq.Phrase) else None


def build_query(parsed: ParsedQuery) -> wq.Query | None:
    """The Whoosh query for a parsed user query; None when nothing searchable is left
    (then the caller lists every document)."""
    positive: list[wq.Query] = []
    for group in parsed.groups:
        q = _group_query(group)
        if q is not None:
            positive.append(q)
    # OR groups are alternatives; phrases must all match.
    main: wq.Query | None = (
        wq.Or(positive) if len(positive) > 1 else (positive[0] if positive else None)
    )
    phrases = [q for q in (phrase_query(p) for p in parsed.phrases[:MAX_CLAUSES]) if q]
    if phrases:
        main = wq.And(([main] if main is not None else []) + phrases)
    negatives = [q for q in (phrase_query(x) for x in parsed.excluded[:MAX_CLAUSES]) if q]
    if negatives:
        main = wq.AndNot(main if main is not None else wq.Every(), wq.Or(negatives))
    if main is None:
        return None
    # Weight that only adds score (the words in the title, headings and description) is
    # evaluated for the documents that already match, not unioned into the match.
    boosts = _field_boosts(parsed)
    return wq.AndMaybe(main, boosts) if boosts is not None else main


def proximity_query(parsed: ParsedQuery) -> wq.Query | None:
    """Typed words close together, for re-ranking the top hits (see engine.RERANK_DEPTH):
    a phrase with slop over every matching page costs more than the rest of the query."""
    near = [q for q in map(_proximity, parsed.groups) if q is not None]
    if not near:
        return None
    return near[0] if len(near) == 1 else wq.Or(near)


def word_clauses(parsed: ParsedQuery) -> list[tuple[str, wq.Query]]:
    """(the words as typed, their clause) of every clause of the query's words: what
    "every word found" and "not found" are judged by."""
    return [pair for group in parsed.groups for pair in _labelled_clauses(group[:MAX_CLAUSES])]
