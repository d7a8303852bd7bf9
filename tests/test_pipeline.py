"""The search pipeline's stages on real Dutch pages: which words were found, matches by
meaning, fusion, how-to intent, one hit per publication, and counts that agree."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from crawler.store import CrawlStore, Document
from indexer import fusion
from indexer.build import current_build, update_index
from indexer.collapse import Groups
from indexer.engine import SearchIndex, SearchRequest
from indexer.lexical import lexical_stage
from indexer.publications import title_overlap
from indexer.query import parse_user_query
from indexer.rerank import asks_how
from indexer.search_types import MATCH_MEANING, MATCH_SOME, MATCH_WORDS

PAGES = {
    "jeugdraad-oprichten": (
        "methodiek",
        "Zo richt je een jeugdraad op",
        "Een nieuwe jeugdraad begint met een oproep in de scholen en de jeugdbewegingen. "
        "Plan een eerste vergadering, kies samen een voorzitter en schrijf statuten.",
    ),
    "jeugdraad-visie": (
        "visietekst",
        "Waarom een jeugdraad telt",
        "De jeugdraad geeft het college advies over alles wat kinderen en jongeren raakt. "
        "Een sterke jeugdraad maakt het lokaal beleid beter.",
    ),
    "stemmen-zestien": (
        "visietekst",
        "Stemmen vanaf zestien: kans of valkuil?",
        "Moeten jongeren al op hun zestiende naar de stembus voor de gemeenteraad? "
        "Voorstanders zien een kans om jongeren vroeg bij de politiek te betrekken.",
    ),
    "speelstraat": (
        "praktijkvoorbeeld",
        "Een zomer lang speelstraat in de Lindelaan",
        "De buren sloten de straat af voor auto's. Kinderen speelden er met stoepkrijt, "
        "fietsjes en een springtouw, tot de straatlantaarns aangingen.",
    ),
    "begroting": (
        "nieuws",
        "De gemeentebegroting voor volgend jaar",
        "De gemeenteraad keurde de begroting goed: meer geld voor wegenwerken, de "
        "bibliotheek en het onderhoud van de sporthal.",
    ),
}


def _doc(slug: str, doc_type: str, title: str, text: str) -> Document:
    return Document(
        url=f"https://www.vvsg.be/jeugd/{slug}",
        source="vvsg",
        title=title,
        text=text,
        doc_type=doc_type,
        content_hash=hashlib.sha256((title + text).encode()).hexdigest(),
        fetched_at="2026-01-01T00:00:00+00:00",
        date="2025-03-01",
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> SearchIndex:
    folder = tmp_path_factory.mktemp("pipeline")
    with CrawlStore(folder / "crawl.sqlite") as store:
        for slug, (doc_type, title, text) in PAGES.items():
            doc = _doc(slug, doc_type, title, text)
            store.save_document(
                doc, http_status=200, final_url=doc.url, etag=None, last_modified=None
            )
    update_index(folder, progress=False)
    return SearchIndex(folder)


def _slugs(result) -> list[str]:
    return [h.url.rsplit("/", 1)[1] for h in result.hits]


def test_a_word_found_nowhere_is_named_and_hits_say_how_they_matched(index):
    # "Richt je een jeugdraad op" is not the word "oprichten": no page has that word.
    result = index.search(SearchRequest(query="jeugdraad oprichten trampoline"))
    assert result.not_found == ["oprichten", "trampoline"]
    how = {h.url.rsplit("/", 1)[1]: h.match for h in result.hits}
    # Every word the index knows ("jeugdraad") is there: full matches.
    assert how["jeugdraad-visie"] == how["jeugdraad-oprichten"] == MATCH_WORDS
    two = index.search(SearchRequest(query="jeugdraad stoepkrijt"))
    assert {h.url.rsplit("/", 1)[1]: h.match for h in two.hits}["jeugdraad-visie"] == MATCH_SOME


def test_every_word_found_is_a_full_match(index):
    v = index._current()
    lexical = lexical_stage(v, parse_user_query("jeugdraad advies college"))
    full = {v.ranks.ids[d] for d in np.flatnonzero(lexical.all_words)}
    some = {v.ranks.ids[d] for d in np.flatnonzero(lexical.match & ~lexical.all_words)}
    ids = {v.searcher.stored_fields(d)["url"].rsplit("/", 1)[1]: v.ranks.ids[d]
           for d in range(v.n)}  # fmt: skip
    assert ids["jeugdraad-visie"] in full
    assert ids["jeugdraad-oprichten"] in some


def test_a_page_without_the_words_can_match_by_meaning(index):
    # None of these words is on the play-street page; its meaning is close.
    result = index.search(SearchRequest(query="kinderen buiten laten spelen in hun straat"))
    hits = {h.url.rsplit("/", 1)[1]: h for h in result.hits}
    assert "speelstraat" in hits
    meaning = [h for h in result.hits if h.match == MATCH_MEANING]
    for hit in meaning:  # shown with the passage that matched, never an empty snippet
        assert hit.snippet
    assert "begroting" not in [h.url.rsplit("/", 1)[1] for h in meaning]


def test_meaning_never_overrides_exact_phrases_or_exclusions(index):
    exact = index.search(SearchRequest(query='"trampoline op het dak"'))
    assert exact.total == 0
    result = index.search(SearchRequest(query="kinderen spelen op straat -stoepkrijt"))
    assert "speelstraat" not in _slugs(result)


def test_nonsense_finds_nothing_by_meaning(index):
    result = index.search(SearchRequest(query="qwxzyv"))
    assert result.total == 0


def test_words_alone_when_the_dense_stage_is_off(index):
    words_only = SearchIndex(index.data_dir, semantic=False)
    result = words_only.search(SearchRequest(query="kinderen buiten laten spelen in hun straat"))
    assert not result.semantic
    assert all(h.match != MATCH_MEANING for h in result.hits)


def test_fusion_blends_scores_scaled_over_the_candidates():
    class _Lexical:
        match = np.array([True, True, False, False])
        order = np.array([0, 1])
        excluded = np.zeros(4, bool)
        exact = False

        class scored:  # noqa: N801 (stands in for ranking.Scored)
            score = np.array([10.0, 5.0, 0.0, 0.0])

    class _Dense:
        cosine = np.array([0.80, 0.90, 0.91, 0.70], dtype=np.float32)
        candidates = np.arange(4)

    fused = fusion.fuse(_Lexical, _Dense, np.arange(4))
    w = fusion.BLEND_DENSE
    expected_0 = (1 - w) * 1.0 + w * (0.80 - 0.70) / (0.91 - 0.70)
    assert fused.score[0] == pytest.approx(expected_0, abs=1e-6)
    # Page 2 has no query word but the best cosine: a match by meaning.
    assert fused.meaning.tolist() == [False, False, True, False]
    assert fused.match.tolist() == [True, True, True, False]


def test_a_page_found_by_meaning_alone_never_outranks_the_best_full_match():
    # "meetekenen" is on page 0 only; pages 2 and 3 read alike and score higher.
    class _Lexical:
        match = np.array([True, False, False, False])
        all_words = np.array([True, False, False, False])

    fused = fusion.Fused(
        match=np.array([True, False, True, True]),
        score=np.array([0.56, 0.0, 0.7, 0.65]),
        meaning=np.array([False, False, True, True]),
        dense=None,
    )
    score = fusion.words_first(fused, _Lexical)
    order = np.argsort(-score, kind="stable")
    assert order[:3].tolist() == [0, 2, 3]  # the page with the word, then by meaning
    assert score[2] < 0.56 and score[3] < score[2]
    # Without a page that has every word, meaning keeps its place.
    _Lexical.all_words = np.zeros(4, bool)
    assert fusion.words_first(fused, _Lexical).tolist() == fused.score.tolist()


def test_how_to_queries_are_recognised():
    assert asks_how(parse_user_query("jeugdraad oprichten"))
    assert asks_how(parse_user_query("Hoe start ik een kinderraad"))
    assert not asks_how(parse_user_query("jeugdraad advies"))


def test_how_to_leans_toward_the_method(index):
    result = index.search(SearchRequest(query="jeugdraad oprichten"))
    assert _slugs(result)[0] == "jeugdraad-oprichten"


def test_landing_page_titles_are_compared_on_their_words():
    assert title_overlap(
        "Gids BOA voor lokale besturen", "Gids BOA voor lokale besturen: regie over de opvang"
    ) == pytest.approx(1.0)
    assert title_overlap("Publicaties", "Handboek voor de jeugdraad") == 0.0


def test_groups_count_each_publication_once_and_show_the_web_page():
    # 0: landing page, 1: its PDF, 2 and 3: near-duplicates, 4: alone.
    groups = Groups(5, [(0, 1), (2, 3)], canonical={2}, pdfs={1: None}, landing_of={1: 0})
    everything = np.ones(5, bool)
    assert groups.hidden(everything).tolist() == [False, True, False, True, False]
    only_pdf = np.array([False, True, False, False, False])
    assert not groups.hidden(only_pdf).any()  # its one matched member counts
    ranked = [1, 3, 4, 2, 0]
    shown = list(groups.collapsed(ranked, 0, 10, everything))
    assert shown == [(0, 1), (2, 3), (4, 4)]  # the PDF's place, shown as its page
    assert groups.pdf_of(0) == 1 and groups.copies(2) == [3]


def test_page_api_total_and_export_agree_on_the_sample(sample_data):
    index = SearchIndex(sample_data)
    for query in ("jeugdraad", "handboek jeugdraad", "BOA", ""):
        req = SearchRequest(query=query, per_page=100, with_facets=False)
        result = index.search(req)
        stream = index.iter_hits(req)
        hits = list(stream.hits)
        assert result.total == stream.total == len(hits)
        assert [h.id for h in hits[:100]] == [h.id for h in result.hits]
        assert len({h.id for h in hits}) == len(hits)
        attached = {h.pdf.id for h in hits if h.pdf}
        assert not attached & {h.id for h in hits}  # a PDF shown with its page is no hit


def test_the_build_records_landing_pages_of_pdfs(sample_data):
    import json

    pairs = json.loads((current_build(sample_data) / "publications.json").read_text())
    assert len(pairs) >= 8
    assert all(entry["pages"] and entry["bytes"] for entry in pairs.values())
