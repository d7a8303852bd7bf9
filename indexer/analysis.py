"""Dutch text analysis for the Kennisbank: the ONE analyzer used at index and at query time.

This module owns tokenisation, lowercasing and diacritic folding, stopwords, stemming (nltk's
Dutch Snowball stemmer behind a reviewable override dictionary) and dictionary decompounding.
The word lists live as text files in ``corpus/lang/`` (stopwords-nl.txt, stem-overrides.txt,
lexicon-nl.txt) so they can be reviewed and changed without touching code; they are package
data of ``corpus``, read through ``importlib.resources``, so a wheel install finds them.

The analyzer is a Whoosh chain ``DutchTokenizer | DutchStopFilter | DecompoundFilter |
DutchStemFilter``. Whoosh pickles it into the index's schema, so every piece is a module-level
class with plain attributes; the word lists and the stemmer are loaded lazily by module-level
``lru_cache`` functions and are never part of the pickle.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from importlib.resources import files

from nltk.stem.snowball import DutchStemmer
from whoosh.analysis import Analyzer, Filter, Token, Tokenizer

LANG_DIR = files("corpus").joinpath("lang")

# Raise by one whenever the code of the analysis changes what terms a text becomes (the
# tokenizer, the filters, the stemming rules): a build records it (`analysis_record`),
# and an update of a build made with another version rebuilds from scratch instead of
# mixing two analyses in one index. Edits of the word lists in corpus/lang are noticed
# by their hash and need no bump.
ANALYSIS_VERSION = 1

# Pinned import paths. Whoosh pickles the analyzer's classes into every index's table of
# contents by module and name: `indexer.analysis.DutchTokenizer`,
# `indexer.analysis.DutchStopFilter`, `indexer.analysis.DecompoundFilter` and
# `indexer.analysis.DutchStemFilter` (and `indexer.schema.ListKeyword`). Renaming or
# moving one of them, or giving one an attribute that an old pickle lacks, makes every
# existing index unopenable. They stay here under these names for good; if the code must
# move, leave the name here as an alias. tests/test_old_index.py opens an index built by
# an earlier release to hold this.
PINNED_CLASSES = (
    "indexer.analysis.DutchTokenizer",
    "indexer.analysis.DutchStopFilter",
    "indexer.analysis.DecompoundFilter",
    "indexer.analysis.DutchStemFilter",
    "indexer.schema.ListKeyword",
)

# Shortest part a compound may be split into, and shortest word worth trying to split.
MIN_PART = 3
MIN_COMPOUND = 6
# Linking elements between the parts of a compound, tried in this order (jeugdraad-s-verkiezing,
# kinderrecht-en-verdrag, ...). The empty link comes first so "jongeren" + "participatie" wins
# over "jonger" + "en" + "participatie" when both are possible.
LINKS = ("", "s", "en", "e")
# Term-frequency weight of a compound's part in the index, against 1.0 for a word as written:
# a page that says "jeugdradendag" is about a jeugdraad a little, a page that says "jeugdraad"
# is about it fully. Whoosh adds up token boosts as the term's weight (BM25 tf).
PART_WEIGHT = 0.5
# Tokens between a suspended compound ("kinder-") and the word that completes it ("jeugdbeleid").
SUSPENSION_GLUE = frozenset({"en", "of", "tot", "en/of"})

# One pass over the text; the named group says what kind of token matched. Order matters: a
# plain alphabetic word not followed by anything that could make it a URL, e-mail address,
# abbreviation or hyphenated word is the common case and is tried first, possessively, so it costs
# one scan; the more specific shapes are tried before the general word.
_TOKEN_RE = re.compile(
    r"""
    (?P<plain>[^\W\d_]++(?![\w@.'\u2019/:+-]))
    |(?P<url>(?:https?://|www\.)[^\s<>"'()\[\]]*[^\s<>"'()\[\].,;:!?])
    |(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,})
    |(?P<domain>\b[\w-]+(?:\.[\w-]+)*\.(?:be|nl|eu|com|org|net|info|vlaanderen|brussels)\b
        (?:/[^\s<>"'()\[\]]*[^\s<>"'()\[\].,;:!?])?)
    |(?P<abbr>\b(?:[^\W\d_]\.){2,}(?![^\W\d_]))
    |(?P<num>\d+(?:[.,]\d+)*(?:[-\u2013]\d+(?:[.,]\d+)*)?(?![\w-]))
    |(?P<word>-?\w+(?:['\u2019]\w+)*(?:-\w+(?:['\u2019]\w+)*)*-?)
    """,
    re.VERBOSE,
)
_RANGE_SPLIT_RE = re.compile(r"[-\u2013]")
_WORDS = frozenset({"plain", "word"})

_snowball = DutchStemmer()


# --- resources -------------------------------------------------------------------------------


def read_lines(name: str) -> list[str]:
    """The non-empty, non-comment lines of a resource file in corpus/lang."""
    lines = []
    with LANG_DIR.joinpath(name).open(encoding="utf-8") as handle:
        for raw in handle:
            line = raw.split("#", 1)[0].strip()
            if line:
                lines.append(line)
    return lines


def lang_hash() -> str:
    """A hash of every word-list file in corpus/lang (names and bytes), read through
    importlib.resources like the lists themselves."""
    digest = hashlib.blake2b(digest_size=16)
    for item in sorted(LANG_DIR.iterdir(), key=lambda entry: entry.name):
        if item.is_file() and not item.name.startswith("."):
            digest.update(item.name.encode("utf-8") + b"\0")
            digest.update(item.read_bytes() + b"\0")
    return digest.hexdigest()


def analysis_record() -> dict[str, int | str]:
    """What a build records of the analysis it was made with (`indexer/build.py`)."""
    return {"analysis_version": ANALYSIS_VERSION, "lang_hash": lang_hash()}


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The Dutch stopword list, folded."""
    return frozenset(fold(line) for line in read_lines("stopwords-nl.txt"))


@lru_cache(maxsize=1)
def stem_overrides() -> dict[str, str]:
    """Folded word -> stem, checked before the Snowball stemmer."""
    overrides = {}
    for line in read_lines("stem-overrides.txt"):
        fields = line.split()
        if len(fields) != 2:
            raise ValueError(f"stem-overrides.txt: expected 'word stem', got {line!r}")
        overrides[fold(fields[0])] = fold(fields[1])
    return overrides


@lru_cache(maxsize=1)
def lexicon() -> frozenset[str]:
    """The simple words the decompounder may split into, folded."""
    return frozenset(fold(line) for line in read_lines("lexicon-nl.txt"))


@lru_cache(maxsize=1)
def _lexicon_stems() -> frozenset[str]:
    # Lets a part match in any inflected form (raden ~ raad, straten ~ straat).
    return frozenset(_stem_folded(word) for word in lexicon())


@lru_cache(maxsize=1)
def _lexicon_prefixes() -> frozenset[str]:
    return frozenset(stem[:3] for stem in _lexicon_stems())


# --- folding and stemming --------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _fold_nonascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold(text: str) -> str:
    """Lowercase and strip diacritics: ideeën -> ideeen, geïnteresseerd -> geinteresseerd."""
    if text.isascii():
        return text.lower()
    return _fold_nonascii(text)


# Doubled final consonants Snowball leaves behind (plann-en, gezinn-en, boss-en); it only
# undoubles k, d and t itself.
_UNDOUBLE = frozenset("bfglmnprs")


@lru_cache(maxsize=200_000)
def _stem_folded(word: str) -> str:
    overrides = stem_overrides()
    hit = overrides.get(word)
    if hit is not None:
        return hit
    # Tokens that are not plain words (numbers, ranges, URLs, e-mail) are indexed as they are.
    if not word.isalpha():
        return word
    base = word
    # -s plurals after a vowel (organisaties, gemeentes, methodes) and diminutive plurals
    # (meisjes): Snowball keeps the s, so the plural would not meet its singular.
    if len(base) > 5 and base.endswith(("ies", "tes", "des", "jes")):
        base = base[:-1]
        hit = overrides.get(base)
        if hit is not None:
            return hit
    result = _snowball.stem(base)
    if len(result) > 3 and result[-1] == result[-2] and result[-1] in _UNDOUBLE:
        result = result[:-1]
    # huizen -> huiz, brieven -> briev: restore the singular's final s / f.
    if len(result) > 3:
        if result[-1] == "z":
            result = result[:-1] + "s"
        elif result[-1] == "v":
            result = result[:-1] + "f"
    return result


def stem(word: str) -> str:
    """The stem of one word: override dictionary first, else nltk's Dutch Snowball stemmer
    (plus the plural, undoubling and z/v rules documented in corpus/lang/stem-overrides.txt)."""
    return _stem_folded(fold(word))


# --- decompounding ---------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _known(part: str) -> bool:
    """A part is a word when it is in the lexicon, or an inflected form of a lexicon word."""
    if len(part) < MIN_PART:
        return False
    if part in lexicon():
        return True
    # Matching by stem only for longer parts: a short one (lag ~ laag) is too often a fragment.
    # The prefix test is a cheap filter that spares stemming most non-words.
    return (
        len(part) >= 5
        and part[:3] in _lexicon_prefixes()
        and _stem_folded(part) in _lexicon_stems()
    )


def _listed(word: str) -> bool:
    return word in lexicon()


@lru_cache(maxsize=200_000)
def _split(word: str) -> tuple[str, str] | None:
    """The best (modifier, head) split of a compound, or None.

    Dutch compounds are right-headed, so the longest known head wins; the modifier must be a
    word itself or split further. The linking -s-/-en-/-e- sits between modifier and head.
    """
    if len(word) < MIN_COMPOUND or not word.isalpha():
        return None
    best = None
    for start in range(MIN_PART, len(word) - MIN_PART + 1):
        head = word[start:]
        if best is not None and len(head) <= len(best[1]):
            break
        if not _known(head):
            continue
        candidates = [
            word[: start - len(link)]
            for link in LINKS
            if start - len(link) >= MIN_PART and word.startswith(link, start - len(link))
        ]
        # A modifier that is a listed word wins (jeugdraad-s-, not jeugdraads-); else one that
        # splits further, trying the linked forms first for the same reason.
        modifier = next((m for m in candidates if _listed(m)), None)
        if modifier is None:
            modifier = next((m for m in reversed(candidates) if _split(m) is not None), None)
        if modifier is not None:
            best = (modifier, head)
    return best


@lru_cache(maxsize=200_000)
def _parts(word: str) -> tuple[str, ...]:
    split = _split(word)
    if split is None:
        return ()
    modifier, head = split
    parts = [modifier, head]
    for piece in (modifier, head):
        for sub in _parts(piece):
            if sub not in parts:
                parts.append(sub)
    return tuple(parts)


@lru_cache(maxsize=200_000)
def _index_parts(word: str) -> tuple[str, ...]:
    # The parts worth indexing beside the whole word: one per distinct stem, none with the
    # whole word's own stem (kinderen is not a compound, but a part may stem like its whole).
    seen = {_stem_folded(word)}
    out = []
    for part in _parts(word):
        stemmed = _stem_folded(part)
        if stemmed not in seen:
            seen.add(stemmed)
            out.append(part)
    return tuple(out)


def decompound(word: str) -> list[str]:
    """The parts of a compound (empty when it is not one): every level of the split, so
    jeugdraadsverkiezing -> [jeugdraad, verkiezing, jeugd, raad]."""
    return list(_parts(fold(word)))


# --- tokenizer -------------------------------------------------------------------------------


def _word_forms(raw: str) -> tuple[str, list[str]]:
    """Normalise a word token: (main form, extra forms at the same position)."""
    text = fold(raw)
    if "'" in text:
        if text in stopwords():  # zo'n
            return text, []
        # foto's, baby's -> foto, baby; any other apostrophe (d'r) is dropped.
        text = text[:-2] if text.endswith("'s") else text
        text = text.replace("'", "")
    if "-" not in text:
        return text, []
    segments = [s for s in text.split("-") if s]
    joined = "".join(segments)
    # e-mail, t-shirt, x-as: a one-letter segment is not a word of its own.
    if len(segments) < 2 or any(len(s) < 2 for s in segments):
        return joined, []
    return joined, [s for s in segments if len(s) >= MIN_PART and s != joined]


def _head_of(word: str) -> str | None:
    split = _split(word)
    return split[1] if split else None


def _modifier_of(word: str) -> str | None:
    split = _split(word)
    return split[0] if split else None


# Pinned import path (PINNED_CLASSES above): never rename or move.
class DutchTokenizer(Tokenizer):
    """Splits Dutch text into tokens, keeping URLs, e-mail addresses, domains, abbreviations with
    dots (o.a. -> oa) and number ranges whole, and resolving hyphenated and suspended compounds
    ("kinder- en jeugdbeleid" -> kinderbeleid ... jeugdbeleid). Output is already folded.

    Extra forms (the numbers of a range, the parts of a hyphenated word, the completed suspended
    compound) are emitted at the same position as their token, so phrase queries still line up.
    """

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __hash__(self) -> int:
        return hash(self.__class__)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = fold(value)
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return

        matches = list(_TOKEN_RE.finditer(value))
        fold_nonascii = _fold_nonascii
        for index, match in enumerate(matches):
            kind = match.lastgroup
            raw = match.group()
            if kind == "plain":
                # The common case, kept short: no extras, no lookaround. (A filter that changes
                # t.boost restores it, so it stays 1.0 from the Token's creation.)
                t.text = raw.lower() if raw.isascii() else fold_nonascii(raw)
                t.stopped = False
                if keeporiginal:
                    t.original = raw
                if positions:
                    t.pos = start_pos + index
                if chars:
                    t.startchar = start_char + match.start()
                    t.endchar = start_char + match.end()
                yield t
                continue
            extras: list[str] = []
            if kind == "word":
                text, extras = _word_forms(raw)
                if text.endswith("-") or raw.endswith("-") or _suspended(raw):
                    text, extras = _complete_suspension(text, matches, index)
                elif raw.startswith("-"):
                    text, extras = _complete_leading(text, matches, index)
            elif kind == "num":
                text = raw
                if "-" in raw or "\u2013" in raw:
                    text = raw.replace("\u2013", "-")
                    extras = _RANGE_SPLIT_RE.split(raw)
            elif kind == "abbr":
                text = fold(raw.replace(".", ""))
            else:  # url, email, domain
                text = raw.lower()
            if not text:
                continue

            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = raw
            if positions:
                t.pos = start_pos + index
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            t.text = text
            yield t
            for extra in extras:
                t.text = extra
                t.stopped = False
                yield t


def _suspended(raw: str) -> bool:
    # "jeugd-en jongerenwerk": a typo'd suspended compound glued to its conjunction.
    low = raw.lower()
    return low.endswith(("-en", "-of")) and low.count("-") == 1 and len(low) > 5


def _complete_suspension(text: str, matches: list[re.Match[str]], index: int) -> tuple[str, list]:
    """kinder- (en jeugdbeleid): kinder + the head of the completing compound = kinderbeleid."""
    prefix = text.strip("-")
    if prefix.endswith(("en", "of")) and _suspended(matches[index].group()):
        prefix = prefix[:-2]
    for later in matches[index + 1 : index + 6]:
        word = fold(later.group())
        if word in SUSPENSION_GLUE or word.endswith("-") or later.lastgroup not in _WORDS:
            continue
        head = _head_of(word.strip("-").replace("-", ""))
        if head:
            return prefix + head, []
        break
    return prefix, []


def _complete_leading(text: str, matches: list[re.Match[str]], index: int) -> tuple[str, list]:
    """(jeugdwerk en) -beleid: the modifier of the earlier compound + beleid = jeugdbeleid."""
    suffix = text.strip("-")
    for earlier in reversed(matches[max(0, index - 4) : index]):
        word = fold(earlier.group())
        if word in SUSPENSION_GLUE or earlier.lastgroup not in _WORDS:
            continue
        modifier = _modifier_of(word)
        if modifier:
            completed = modifier + suffix
            # The suffix is indexed as a part of the completed compound when that splits.
            return completed, [] if _split(completed) else [suffix]
        break
    return suffix, []


# --- filters ---------------------------------------------------------------------------------


# Pinned import path (PINNED_CLASSES above): never rename or move.
class DutchStopFilter(Filter):
    """Marks stopwords (corpus/lang/stopwords-nl.txt) and tokens shorter than ``minsize``, like
    whoosh's StopFilter, but reads the list lazily so the pickled schema holds no word list."""

    def __init__(self, minsize: int = 2) -> None:
        self.minsize = minsize

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stops = stopwords()
        minsize = self.minsize
        for t in tokens:
            text = t.text
            if len(text) >= minsize and text not in stops:
                yield t
            elif not t.removestops:
                t.stopped = True
                yield t


# Pinned import path (PINNED_CLASSES above): never rename or move.
class DecompoundFilter(Filter):
    """After each compound, emits its parts at the same position (the whole word comes first).

    Only parts whose stem differs from the compound's and from each other's are emitted, so no
    term is counted twice for one word; the stem filter after this one stems them. Parts carry
    ``PART_WEIGHT`` as their boost, so a match on a part counts less than one on a whole word.
    """

    is_morph = True

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        parts_of = _index_parts
        for t in tokens:
            # Read before yielding: the stem filter downstream rewrites t.text in place.
            text = t.text
            yield t
            if len(text) >= MIN_COMPOUND and not t.stopped:
                parts = parts_of(text)
                if parts:
                    boost = t.boost
                    t.boost = boost * PART_WEIGHT
                    for part in parts:
                        t.text = part
                        yield t
                    # The tokenizer reuses one Token and leaves plain words' boost alone.
                    t.boost = boost


# Pinned import path (PINNED_CLASSES above): never rename or move.
class DutchStemFilter(Filter):
    """Stems every token: stem-override dictionary, else nltk's Dutch Snowball stemmer; cached."""

    is_morph = True

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stem_of = _stem_folded
        for t in tokens:
            if not t.stopped:
                t.text = stem_of(t.text)
            yield t


@lru_cache(maxsize=1)
def dutch_analyzer() -> Analyzer:
    """The Dutch analyzer for index and query time (built once per process)."""
    return DutchTokenizer() | DutchStopFilter() | DecompoundFilter() | DutchStemFilter()


def analyze(text: str) -> list[str]:
    """The token texts the analyzer produces for ``text`` (stopwords removed)."""
    return [t.text for t in dutch_analyzer()(text, positions=True)]


def analyzed_positions(text: str) -> list[list[str]]:
    """Analysed tokens grouped by position: a compound's parts share its position,
    the whole word first."""
    groups: dict[int, list[str]] = {}
    for token in dutch_analyzer()(text, positions=True, mode="query"):
        bucket = groups.setdefault(token.pos, [])
        if token.text not in bucket:
            bucket.append(token.text)
    return [groups[p] for p in sorted(groups)]
