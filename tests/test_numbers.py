"""Dutch number words and digits find each other."""

import pytest

from indexer.engine import SearchIndex, SearchRequest
from indexer.numbers import dutch_word, other_form
from indexer.query import build_query, parse_user_query, word_clauses


@pytest.mark.parametrize(
    ("n", "word"),
    [(0, "nul"), (12, "twaalf"), (16, "zestien"), (18, "achttien"), (21, "eenentwintig"),
     (22, "tweeëntwintig"), (35, "vijfendertig"), (80, "tachtig"), (100, "honderd")],
)  # fmt: skip
def test_words_for_numbers(n, word):
    assert dutch_word(n) == word
    assert other_form(word) == str(n)
    assert other_form(str(n)) == word


def test_the_article_and_leading_zeros_are_not_numbers():
    assert other_form("een") is None and other_form("1") is None
    assert other_form("016") is None and other_form("2024") is None
    assert other_form("tweeentwintig") == "22"  # typed without the diaeresis
    assert other_form("²") is None and other_form("١٦") is None  # digits, but not ASCII


def test_a_typed_number_matches_both_spellings():
    clauses = dict(word_clauses(parse_user_query("stemrecht vanaf 16")))
    clause = clauses["16"]
    terms = {text for _, text in clause.iter_all_terms()}
    assert {"16", "zestien"} <= terms
    assert "zestien" in str(build_query(parse_user_query("kiezen vanaf zestien jaar")))


def test_a_page_that_writes_the_word_is_found_by_the_digits(sample_data):
    hits = SearchIndex(sample_data).search(SearchRequest(query="stemmen vanaf 16")).hits
    assert any("zestien" in (h.title + h.snippet).lower() for h in hits[:5])
