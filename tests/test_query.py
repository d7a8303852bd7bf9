"""User query -> Whoosh query (indexer/query.py), synonyms (indexer/synonyms.py) and
"Bedoelde je ...?" suggestions (indexer/suggest.py), on the real sample index."""

import pytest

from indexer.engine import SearchIndex, SearchRequest
from indexer.query import build_query, parse_user_query
from indexer.suggest import Suggester, VocabularyCounter, distance
from indexer.synonyms import find_spans, load_groups


@pytest.fixture(scope="module")
def index(sample_data):
    return SearchIndex(sample_data)


def titles(index, query, n=10):
    result = index.search(SearchRequest(query=query, per_page=n, with_facets=False))
    return [h.title for h in result.hits], result


def test_parse_words_phrases_exclusions_and_or():
    parsed = parse_user_query('jeugdraad "brede school" -corona speelstraat OR schoolstraat')
    assert parsed.groups == [["jeugdraad", "speelstraat"], ["schoolstraat"]]
    assert parsed.phrases == ["brede school"]
    assert parsed.excluded == ["corona"]


@pytest.mark.parametrize("text", ['"open', "((", "AND OR NOT", "-", "*?", 'a"b"c"'])
def test_syntax_errors_fall_back_to_words(text, index):
    build_query(parse_user_query(text))  # never raises
    index.search(SearchRequest(query=text, with_facets=False))


def test_all_words_rank_above_some_words(index):
    found, result = titles(index, "speelstraat kempenhout")
    assert "Kempenhout" in found[0] and "peelstra" in found[0]
    assert result.total > 5  # pages with only one of the words still come


def test_a_missing_word_does_not_empty_the_result(index):
    _, result = titles(index, "speelstraat onbestaandwoordxyz")
    assert result.total > 0


def test_exclusion(index):
    found, _ = titles(index, "jeugdwerk -corona", 50)
    assert found and not any("orona" in t for t in found)


def test_synonym_file_groups_and_spans():
    groups = load_groups()
    assert any("buitenschoolse opvang en activiteiten" in m for m in groups.values())
    words = "de BOA in onze gemeente".split()
    assert [(s, e) for s, e, _ in find_spans(words)] == [(1, 2)]
    words = "buitenschoolse opvang en activiteiten".split()
    assert [(s, e) for s, e, _ in find_spans(words)] == [(0, 4)]
    # plurals meet their group: jeugdconsulenten ~ jeugdconsulent | jeugdambtenaar
    assert find_spans(["jeugdconsulenten"])[0][2] == ("jeugdconsulent", "jeugdambtenaar")


def test_synonyms_find_the_other_wording(index):
    found, _ = titles(index, "jeugdconsulent", 10)
    assert any("jeugdambtenaar" in t.lower() for t in found)
    found, _ = titles(index, "IVRK", 10)
    assert any("inderrechtenverdrag" in t or "IVRK" in t for t in found)


def test_distance():
    assert distance("jeugdraat", "jeugdraad") == 1
    assert distance("paritcipatie", "participatie") == 1  # transposition
    assert distance("speelweefsl", "speelweefsel") == 1


def test_suggester_suggests_real_words_not_stems():
    counter = VocabularyCounter()
    counter.add(
        "De jeugdraad geeft advies. De jeugdraad vergadert. Ideeën en ideeën van kinderen.",
        "Kinderen en kinderen spelen in de speelstraat, de speelstraat is van hen.",
    )
    suggester = Suggester(counter.counts)
    assert suggester.correct("jeugdraat") == "jeugdraad"
    assert suggester.correct("kinderren") == "kinderen"  # not the stem "kind"
    assert suggester.correct("ideeen") is None  # known, as folded
    assert suggester.correct("xyzzyq") is None


def test_engine_suggests_from_the_index_vocabulary(index):
    found, result = titles(index, "jeugdraat")
    assert result.suggestion == "jeugdraad"
    # a query that finds nothing is answered with its correction
    assert result.total > 0 and any("eugdraad" in t for t in found)
    _, result = titles(index, "jeugdraad")
    assert result.suggestion is None  # found plenty: no suggestion
    _, result = titles(index, "kinderbugemeester speelweefsl")
    assert result.suggestion == "kinderburgemeester speelweefsel"


def test_vocabulary_is_written_beside_the_index(sample_data):
    from indexer.build import current_build
    from indexer.suggest import VOCABULARY_FILE, read_vocabulary

    vocabulary = read_vocabulary(current_build(sample_data) / VOCABULARY_FILE)
    assert vocabulary["jeugdraad"] > 10
    assert "ideeën" in vocabulary
