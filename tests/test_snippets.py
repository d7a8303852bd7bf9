"""Snippets mark the words of each query, whatever was marked for the query before."""

from indexer import snippets
from indexer.analysis import analyze

TEXT = "De jeugdraad vergadert. Kinderen en jongeren spreken mee over de speelstraat."


def _terms(*words: str) -> frozenset[str]:
    return frozenset(t for w in words for t in analyze(w))


def test_each_query_marks_its_own_words_in_the_same_text():
    first = snippets.snippet(TEXT, _terms("jeugdraden"))
    second = snippets.snippet(TEXT, _terms("kinderen"))
    again = snippets.snippet(TEXT, _terms("jeugdraden"))
    assert "<mark>jeugdraad</mark>" in first and "<mark>Kinderen</mark>" not in first
    assert "<mark>Kinderen</mark>" in second and "<mark>jeugdraad</mark>" not in second
    assert again == first


def test_the_per_query_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(snippets, "MEMO_WORDS", 3)
    terms = _terms("speelstraten")
    assert "<mark>speelstraat</mark>" in snippets.snippet(TEXT, terms)
    memo = snippets._marked_words(terms)
    assert "jeugdraad" in memo  # remembered from the first text
    other = "Een nieuwe speelstraat in de wijk."
    assert "<mark>speelstraat</mark>" in snippets.snippet(other, terms)
    assert "jeugdraad" not in memo and set(memo) == set(snippets._WORD.findall(other))


def test_snippet_work_is_bounded_in_a_page_with_tens_of_thousands_of_hits(monkeypatch):
    """A page holding the query word 40,000 times: the windows are weighed over at most
    MAX_MARKS matches, so the cost does not grow with the page (it took 11 s once)."""
    text = " ".join(f"De jeugdraad vergadert voor de {i}e keer." for i in range(40_000))
    seen: list[int] = []
    real = snippets._windows

    def spy(text, marks, top):
        seen.append(len(marks))
        return real(text, marks, top)

    monkeypatch.setattr(snippets, "_windows", spy)
    out = snippets.snippet(text, _terms("jeugdraad"))
    assert "<mark>jeugdraad</mark>" in out
    assert seen and max(seen) <= snippets.MAX_MARKS < 40_000


def test_windows_pick_the_densest_part():
    text = "x " * 500 + "jeugdraad jeugdraad jeugdraad " + "y " * 500 + "jeugdraad"
    out = snippets.snippet(text, _terms("jeugdraad"), top=1)
    assert out.count("<mark>") == 3
