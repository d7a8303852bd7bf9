"""Suggestions as you type (indexer/autocomplete.py, /api/v1/suggest) and spelling
suggestions (indexer/suggest.py): word-start completion, one entry per wording, the
API's answers against its OpenAPI description, ij/y, several words at once."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from indexer.autocomplete import Completer, Completion, frequent_phrases
from indexer.suggest import Suggester


@pytest.fixture(scope="module")
def completer() -> Completer:
    return Completer.build(
        [
            ("a1", "Handboek voor de jeugdraad", "Een gids voor jeugdraden en hun werking."),
            ("a2", "Jeugdraad in actie", "Drie jeugdraden en hun werking in beeld."),
            ("a3", "Speelstraten in de zomer", ""),
        ],
        {"theme": {"jeugdraad": 12, "speelruimte": 5}, "audience": {"jeugdambtenaar": 7}},
        {"jeugdraad": 40, "jeugdraden": 12, "speelplein": 9, "zeldzaam": 1, "de": 500},
    )


def test_completes_word_starts_best_kind_first(completer):
    found = completer.complete("jeugdr", 10)
    assert found[0] == Completion("jeugdraad", "thema", "jeugdraad", 12.0)
    texts = [c.text for c in found]
    assert "Jeugdraad in actie" in texts and "Handboek voor de jeugdraad" in texts
    assert texts.count("jeugdraad") == 1  # a theme and a frequent word: shown once
    assert "zeldzaam" not in [c.text for c in completer.complete("zeld")]


def test_matches_only_at_word_starts_and_ignores_case_and_accents(completer):
    assert "Handboek voor de jeugdraad" in [c.text for c in completer.complete("JEUGDRAAD")]
    assert completer.complete("eugdraad") == []
    assert [c.text for c in completer.complete("speelstr")] == ["Speelstraten in de zomer"]
    assert completer.complete("j") == []  # too short
    assert len(completer.complete("jeugd", 2)) == 2


def test_frequent_phrases_recur_and_do_not_end_in_stopwords():
    texts = ["Lokaal jeugdbeleid in de stad", "Over lokaal jeugdbeleid", "Een lokaal plan"]
    assert frequent_phrases(texts) == {"lokaal jeugdbeleid": 2}


def test_suggest_api_answers_match_the_openapi_description(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/SuggestAnswer", "components": spec["components"]}
    validator = Draft202012Validator(schema)
    body = client.get("/api/v1/suggest?q=jeugdr").get_json()
    validator.validate(body)
    kinds = {s["kind"]: s["url"] for s in body["suggestions"]}
    assert kinds["thema"] == "/?theme=jeugdraad"
    assert kinds["titel"].startswith("/doc/")
    assert client.get(kinds["titel"]).status_code == 200
    assert client.get("/api/v1/suggest?q=j").get_json()["suggestions"] == []
    assert client.get("/api/v1/suggest").get_json() == {"query": "", "suggestions": []}
    assert len(client.get("/api/v1/suggest?q=speel&limit=3").get_json()["suggestions"]) == 3
    assert "/api/v1/suggest" in spec["paths"]


@pytest.mark.parametrize("query", ["q=" + "x" * 101, "q=jeugd&limit=0", "q=jeugd&limit=abc"])
def test_suggest_api_bad_parameters_are_dutch_400s(client, query):
    response = client.get("/api/v1/suggest?" + query)
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"error", "status"} and "limit" not in body["error"]


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester(
        {"bijeenkomst": 9, "jeugdraad": 30, "oprichten": 6, "speelstraat": 5, "wijkraad": 3}
    )


def test_ij_typed_as_y_and_back(suggester):
    assert suggester.correct("byeenkomst") == "bijeenkomst"
    assert Suggester({"fysiek": 4}).correct("fijsiek") == "fysiek"


def test_several_words_at_once_and_words_run_together(suggester):
    assert suggester.suggest_query(["jeudgraad", "oprichtne"], lambda w: False) == (
        "jeugdraad oprichten"
    )
    assert suggester.correct("jeugdraadoprichten") == "jeugdraad oprichten"
    assert suggester.suggest_query(["jeugdraad", "wyjkraad"], lambda w: w == "jeugdraad") == (
        "jeugdraad wijkraad"
    )
