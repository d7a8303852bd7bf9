"""Dutch number words and digits as one another: "16" finds "zestien" and back.

Pages write small numbers either way ("stemrecht vanaf zestien", "jongeren van 12 tot
18"), and users type either. The words for 0 to 100 follow a few rules (units, the
teens, "eenentwintig": unit + "en" + tens), so they are made here rather than listed;
"één" and "twee" with their diacritics folded are the same words to the analyzer.
"""

from __future__ import annotations

from functools import lru_cache

_UNITS = ["nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"]
_TEENS = [
    "tien",
    "elf",
    "twaalf",
    "dertien",
    "veertien",
    "vijftien",
    "zestien",
    "zeventien",
    "achttien",
    "negentien",
]
_TENS = {
    2: "twintig",
    3: "dertig",
    4: "veertig",
    5: "vijftig",
    6: "zestig",
    7: "zeventig",
    8: "tachtig",
    9: "negentig",
}
LARGEST = 100


def dutch_word(n: int) -> str:
    """The Dutch word for 0 <= n <= 100."""
    if not 0 <= n <= LARGEST:
        raise ValueError(f"no number word for {n}")
    if n < 10:
        return _UNITS[n]
    if n < 20:
        return _TEENS[n - 10]
    if n == LARGEST:
        return "honderd"
    tens, unit = divmod(n, 10)
    if unit == 0:
        return _TENS[tens]
    # "twee" + "en" + "twintig"; a unit ending in e takes a diaeresis: tweeëntwintig.
    joint = "ën" if _UNITS[unit].endswith("e") else "en"
    return _UNITS[unit] + joint + _TENS[tens]


@lru_cache(maxsize=1)
def _by_word() -> dict[str, int]:
    out = {dutch_word(n): n for n in range(LARGEST + 1)}
    # Typed without the diaeresis as often as with it.
    out.update({dutch_word(n).replace("ë", "e"): n for n in range(LARGEST + 1)})
    out["één"] = 1
    return out


def other_form(word: str) -> str | None:
    """The digits for a number word, the word for digits (0 to 100), else None. "een"
    is left alone: it is far more often the article than the number."""
    text = word.strip().lower()
    if text.isascii() and text.isdigit():  # not "²" or other Unicode digits
        n = int(text)
        return dutch_word(n) if n <= LARGEST and text == str(n) and n != 1 else None
    n = _by_word().get(text)
    if n is None or text == "een":
        return None
    return str(n)
