"""The Dutch analyzer (indexer/analysis.py) on real sentences from the sample corpus."""

import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis import analyze, decompound, dutch_analyzer, fold, stem, stopwords


def same_stem(*words: str) -> bool:
    return len({stem(w) for w in words}) == 1


# Words the stemmer itself must join (plural -en/-s, undoubling, z/v, aa/a): none of them is
# in corpus/lang/stem-overrides.txt, so these test the stemmer, not the data file.
STEMMER_FORMS = [
    ("boek", "boeken"),
    ("straat", "straten"),
    ("school", "scholen"),
    ("brief", "brieven"),
    ("reis", "reizen"),
    ("vraag", "vragen"),
    ("gezin", "gezinnen"),
    ("les", "lessen"),
    ("jongere", "jongeren"),
    ("plan", "plannen"),
    ("organisatie", "organisaties"),
    ("huis", "huizen"),
]


@pytest.mark.parametrize("forms", STEMMER_FORMS)
def test_forms_of_one_word_share_a_stem(forms):
    assert same_stem(*forms)


def test_stemmer_cases_are_not_overrides():
    overrides = Path(__file__).resolve().parent.parent / "corpus" / "lang" / "stem-overrides.txt"
    listed = {
        line.split()[0]
        for line in overrides.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert not {word for forms in STEMMER_FORMS for word in forms} & listed


def test_overridden_irregular_plurals_share_a_stem():
    # Irregular plurals the stemmer cannot know come from the overrides file; the
    # expected stems are written out, not computed by the stemmer under test.
    assert {stem(w) for w in ("kind", "kinderen")} == {"kind"}
    assert {stem(w) for w in ("stad", "steden")} == {"stad"}
    assert {stem(w) for w in ("gemeente", "gemeenten", "gemeentes")} == {"gemeent"}


def test_stems_on_a_corpus_sentence():
    tokens = analyze(
        "Jeugdambtenaren, jeugdraden en schepenen van jeugd blijven de kern, maar de blik "
        "gaat verder: mobiliteit, ruimte, welzijn en onderwijs horen er ook bij."
    )
    assert stem("jeugdraad") in tokens
    assert stem("schepen") in tokens
    assert stem("jeugdambtenaar") in tokens


def test_steden_en_gemeenten_meet_their_singulars():
    tokens = analyze("Ze wil steden en gemeenten ondersteunen in een breed beleid voor kinderen.")
    for singular in ("stad", "gemeente", "kind", "beleid"):
        assert stem(singular) in tokens


def test_stopwords_are_dropped():
    tokens = analyze("Op 1 januari 2019 legden in Vlaanderen honderden nieuwe schepenen de eed af.")
    assert not {"op", "in", "de"} & set(tokens)
    assert "vlaander" in tokens
    # content words of the domain are never stopwords
    assert not {"jeugd", "kind", "beleid", "jongeren"} & stopwords()


def test_diacritics_are_folded():
    assert fold("ideeën") == "ideeen"
    assert fold("geïnteresseerd") == "geinteresseerd"
    assert analyze("Geïnteresseerd in jullie ideeën?") == analyze("geinteresseerd in jullie ideeen")


def test_apostrophe_plurals():
    assert analyze("foto's") == analyze("foto")
    assert analyze("baby's") == analyze("baby")
    # zo'n is a stopword, not "zon"
    assert analyze("zo'n") == []


def test_suspended_compounds_are_completed():
    tokens = analyze("Het kinder- en jeugdbeleid van de stad")
    assert stem("kinderbeleid") in tokens
    assert stem("jeugdbeleid") in tokens
    assert {"kind", "jeugd", "beleid"} <= set(tokens)
    assert stem("jeugdwerk") in analyze("het jeugd-en jongerenwerk")
    assert stem("jeugdbeleid") in analyze("jeugdwerk en -beleid")


def test_hyphenated_words():
    assert analyze("e-mail") == ["email"]
    tokens = analyze("co-creatie")
    assert "cocreatie" in tokens and "creatie" in tokens


def test_number_ranges():
    tokens = analyze("Voor jongeren is dit een cruciaal moment: het meerjarenplan 2026-2031.")
    assert {"2026-2031", "2026", "2031"} <= set(tokens)
    assert "2020-2025" in analyze("Daarna volgen de meerjarenplannen 2020–2025.")


def test_abbreviations_with_dots_stay_whole():
    assert analyze("o.a. m.a.w. d.w.z. bv.") == ["oa", "maw", "dwz", "bv"]


def test_email_and_urls_are_not_shredded():
    tokens = analyze("Heb je een vraag? Laat het weten via hallo@debattle.be of volg ons.")
    assert "hallo@debattle.be" in tokens
    tokens = analyze(
        "Lees meer op https://www.vvsg.be/kennisitems/jeugd-beleid. En op bataljong.be."
    )
    assert "https://www.vvsg.be/kennisitems/jeugd-beleid" in tokens
    assert "bataljong.be" in tokens


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("jeugdraadsverkiezing", ["jeugdraad", "verkiezing", "jeugd", "raad"]),
        ("jongerenparticipatie", ["jongeren", "participatie"]),
        ("kinderrechtenverdrag", ["kinderrechten", "verdrag", "kinder", "rechten"]),
        ("speelruimtebeleid", ["speelruimte", "beleid", "speel", "ruimte"]),
        ("gemeenteraadsverkiezingen", ["gemeenteraad", "verkiezingen", "gemeente", "raad"]),
        ("stadsbestuur", ["stad", "bestuur"]),
    ],
)
def test_decompound(word, parts):
    assert decompound(word) == parts


def test_compound_and_parts_are_indexed_at_one_position():
    # Whoosh reuses one Token object, so read its attributes while iterating.
    text = "Visieteksten over waarom jongerenparticipatie belangrijk is."
    by_text = {t.text: t.pos for t in dutch_analyzer()(text, positions=True)}
    assert by_text["jongerenparticipatie"] == by_text["participatie"] == by_text["jonger"]
    # "participatie van jongeren" now meets "jongerenparticipatie"
    assert set(analyze("participatie van jongeren")) <= set(by_text)
    assert {"kind", "recht", "verdrag"} <= set(analyze("het kinderrechtenverdrag"))


MUST_NOT_SPLIT = """beleid verkiezing verkiezingen gemeente gemeenten jongeren ouders organisatie
organisaties vrijwilliger vrijwilligers informatie participatie kinderen ambtenaar ambtenaren
verslag bestuur ontmoeting samenleving vereniging toekomst onderwijs gezondheid werking opvoeding
ervaring bewoners activiteiten burgemeester manier zonder vergadering begeleiding ondersteuning
maatschappij gemeenschap verantwoordelijkheid betrokkenheid evaluatie omgeving aandacht
belangrijk verschillende overheid congresavonden legislatuur memorandum""".split()


@pytest.mark.parametrize("word", MUST_NOT_SPLIT)
def test_words_that_must_not_split(word):
    assert decompound(word) == []


def test_analyzer_is_cached_and_picklable():
    assert dutch_analyzer() is dutch_analyzer()
    clone = pickle.loads(pickle.dumps(dutch_analyzer()))
    text = "De jeugdraadsverkiezing in 2026-2030, o.a. via info@bataljong.be."
    assert [t.text for t in clone(text)] == analyze(text)


def test_query_mode_keeps_stopped_tokens_when_asked():
    tokens = dutch_analyzer()("de jeugdraad", mode="query", removestops=False)
    assert [(t.text, t.stopped) for t in tokens] == [
        ("de", True),
        ("jeugdrad", False),
        ("jeugd", False),
        ("rad", False),
    ]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_analyze_never_raises(text):
    tokens = analyze(text)
    assert all(isinstance(t, str) and t for t in tokens)


# --- every feature on real sentences from the sample corpus (corpus/tools/content) -----------


def test_real_sentence_apostrophe_plural():
    tokens = analyze("Ze namen foto's van gevaarlijke punten en gaven elk punt een score.")
    assert stem("foto") in tokens and "foto's" not in tokens


def test_real_sentence_split_compound_and_range():
    tokens = analyze(
        "Daar krijgen ze uitleg over het lokaal jeugdbeleid, het meerjarenplan 2026-2031, "
        "de jeugdraad en BOA."
    )
    assert {"2026-2031", "2026", "2031", stem("meerjarenplan"), stem("plan")} <= set(tokens)
    tokens = analyze("De VVSG zet op een rij hoe je kinder- en jeugdbeleid zichtbaar verankert.")
    assert {stem("kinderbeleid"), stem("jeugdbeleid")} <= set(tokens)


def test_real_sentence_abbreviation_email_and_diacritics():
    tokens = analyze("Ze delen kennis, o.a. via gezamenlijke studiedagen en publicaties.")
    assert "oa" in tokens
    tokens = analyze("Heb je een vraag? Laat het ons weten via hallo@debattle.be.")
    assert "hallo@debattle.be" in tokens
    real = "Hoe vertel je jongeren wat er met hun ideeën gebeurd is?"
    assert analyze(real) == analyze(real.replace("ë", "e"))


def test_real_sentence_stem_overrides_and_mined_lexicon():
    tokens = analyze("Is het ontwerp getoetst aan de speelweefselkaart van de gemeente?")
    assert {stem("speelweefsel"), stem("kaart"), stem("weefsel")} <= set(tokens)
    tokens = analyze("Speelruimte in coronatijden: laat kinderen buiten spelen")
    assert {"corona", stem("kind")} <= set(tokens)


def test_compound_parts_weigh_less_than_the_whole_word():
    # The analyzer reuses one Token object: read each one as it comes.
    boosts = {t.text: t.boost for t in dutch_analyzer()("het speelweefselplan", boosts=True)}
    assert boosts[stem("speelweefselplan")] == 1.0
    assert boosts[stem("plan")] < 1.0
    # the shared token's boost is restored for the words after a compound
    tokens = [(t.text, t.boost) for t in dutch_analyzer()("speelweefselplan opmaken", boosts=True)]
    assert tokens[-1] == (stem("opmaken"), 1.0)


def test_real_sentence_synonyms_meet_at_query_time():
    from indexer.synonyms import find_spans

    words = "Na de lokale verkiezingen van 13 oktober 2024".split()
    spans = find_spans(words)
    assert any("gemeenteraadsverkiezingen" in members for _, _, members in spans)
