"""The array ranking (indexer/ranking.py on indexer/vectors_read.py) against Whoosh itself:
the same BM25F scores and the same phrase matches on the sample index; the vector files
follow the segments through updates, deletions and damage."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq

from crawler.store import CrawlStore, Document
from indexer import feedback, integrity, vectors_file, vectors_write
from indexer.build import current_build, update_index
from indexer.engine import IndexCorrupt, SearchIndex, SearchRequest
from indexer.feedback import EXPANSION_TERMS, FEEDBACK_DOCS, centroid, expansion_terms
from indexer.query import build_query, parse_user_query
from indexer.ranking import Ranker, ordered, top
from indexer.schema import index_fields
from indexer.vectors_file import FORWARD_TERMS, PREFIX, SUFFIX
from indexer.vectors_read import VectorIndex, forward_weight
from indexer.vectors_write import write_missing


@pytest.fixture(scope="module")
def whoosh_and_ranker(sample_data):
    build = current_build(sample_data)
    searcher = whoosh_index.open_dir(str(build)).searcher()
    yield searcher, Ranker(VectorIndex(build, searcher))
    searcher.close()


def _whoosh_scores(searcher, q) -> dict[int, float]:
    return {hit.docnum: hit.score for hit in searcher.search(q, limit=None, optimize=False)}


T = wq.Term
# Queries of the shapes query.py builds, on words that occur a few to many times.
SHAPES = [
    T("body", "jeugdrad"),
    T("title", "speelruimt", boost=2.0),
    wq.And([T("body", "kind"), T("body", "gemeent")]),
    wq.Or([T("body", "boa"), T("headings", "opvang"), T("description", "kinderrecht")]),
    wq.AndMaybe(T("body", "jonger"), wq.Or([T("title", "jonger", boost=2.0)])),
    wq.AndNot(T("body", "jeugdrad"), T("body", "advie")),
    wq.Or([T("body", "jongerenparticipatie"),
           wq.And([T("body", "jonger"), T("body", "participatie")], boost=0.3)]),
]  # fmt: skip


@pytest.mark.parametrize("q", SHAPES, ids=str)
def test_scores_equal_whooshs_bm25f(whoosh_and_ranker, q):
    searcher, ranker = whoosh_and_ranker
    expected = _whoosh_scores(searcher, q)
    got = ranker.evaluate(q)
    assert expected, "the query must match something to be a test"
    assert set(np.flatnonzero(got.match).tolist()) == set(expected)
    for docnum, score in expected.items():
        assert got.score[docnum] == pytest.approx(score, rel=1e-6)


@pytest.mark.parametrize(
    "words,slop",
    [
        (["jeugdrad"], 1),
        (["kind", "jonger"], 1),
        (["buitenschol", "opvang"], 1),
        (["lokal", "jeugdbeleid"], 1),
        (["jonger", "gemeent"], 4),
        (["kind", "jonger", "gemeent"], 6),
    ],
)
def test_phrases_match_what_whoosh_matches(whoosh_and_ranker, words, slop):
    searcher, ranker = whoosh_and_ranker
    q = wq.Phrase("body", words, slop=slop)
    expected = _whoosh_scores(searcher, q)
    got = ranker.evaluate(q)
    assert set(np.flatnonzero(got.match).tolist()) == set(expected)
    for docnum, score in expected.items():
        assert got.score[docnum] == pytest.approx(score, rel=1e-6)


def test_phrase_within_limits_the_documents(whoosh_and_ranker):
    searcher, ranker = whoosh_and_ranker
    q = wq.Phrase("body", ["kind", "jonger"])
    everywhere = np.flatnonzero(ranker.evaluate(q).match)
    assert len(everywhere) > 3
    within = np.zeros(ranker.n, bool)
    within[everywhere[:2]] = True
    within[0] = True
    assert set(np.flatnonzero(ranker.evaluate(q, within).match)) <= set(everywhere[:2]) | {0}
    assert set(everywhere[:2]) <= set(np.flatnonzero(ranker.evaluate(q, within).match))


def test_coordination_rewards_documents_with_more_of_the_words(whoosh_and_ranker):
    _, ranker = whoosh_and_ranker
    a, b = T("body", "jeugdrad"), T("body", "verkies")
    plain = ranker.evaluate(wq.Or([a, b]))
    coord = ranker.evaluate(wq.Or([a, b], scale=0.9))
    both = np.flatnonzero(ranker.evaluate(wq.And([a, b])).match)
    one = np.flatnonzero(plain.match & ~ranker.evaluate(wq.And([a, b])).match)
    assert len(both) and len(one)
    # SQR with 2 terms: (score + (matching - 1) / (2 - 0.9)^2) * 1/2
    d = both[0]
    assert coord.score[d] == pytest.approx((plain.score[d] + 1 / 1.1**2) / 2)
    d = one[0]
    assert coord.score[d] == pytest.approx(plain.score[d] / 2)


def test_a_missing_word_does_not_zero_the_scores(whoosh_and_ranker):
    # Whoosh's coordination scores every document 0 when only one term of an Or
    # exists; ours leaves a single existing term's ranking alone.
    _, ranker = whoosh_and_ranker
    q = build_query(parse_user_query("jeugdraad xqzzyvw"))
    got = ranker.evaluate(q)
    assert got.match.sum() > 10 and len(set(got.score[got.match].round(6))) > 5


def test_top_and_ordered_break_ties_by_the_given_rank():
    match = np.array([True, True, True, False, True])
    score = np.array([1.0, 2.0, 1.0, 9.0, 2.0])
    tie = np.array([4, 3, 2, 1, 0])
    assert top(match, score, tie, None).tolist() == [4, 1, 2, 0]
    assert top(match, score, tie, 2).tolist() == [4, 1]
    assert ordered(match, np.array([3, 0, 1, 2, 4]), 2).tolist() == [1, 2]


def _doc(n: int, text: str) -> Document:
    return Document(
        url=f"https://www.vvsg.be/t/{n}",
        source="test",
        title=f"Bericht {n}",
        text=text,
        doc_type="nieuws",
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        fetched_at="2026-01-01T00:00:00+00:00",
        date=f"2025-01-{n % 28 + 1:02d}",
    )


def _save(store: CrawlStore, doc: Document) -> None:
    store.save_document(doc, http_status=200, final_url=doc.url, etag=None, last_modified=None)


def _vector_files(build):
    return sorted(p.name for p in build.glob(f"{PREFIX}*{SUFFIX}"))


def _indexed(folder, texts: list[str]) -> tuple[CrawlStore, object]:
    """A crawl store with one document per text, indexed; (store, build folder)."""
    store = CrawlStore(folder / "crawl.sqlite")
    for n, text in enumerate(texts):
        _save(store, _doc(n, text))
    update_index(folder, progress=False)
    return store, current_build(folder)


def test_vector_files_follow_segments_through_updates(tmp_path):
    texts = [f"De jeugdraad van gemeente {n} vergadert over speelruimte. " * 5 for n in range(12)]
    store, first = _indexed(tmp_path, texts)
    assert len(_vector_files(first)) == 1

    # One document changes, one is removed from the store: an update adds a segment.
    _save(store, _doc(3, "Een fuifbeleid voor jongeren, met een fuifzaal. " * 5))
    store.mark_status("https://www.vvsg.be/t/5", "test", "gone", http_status=410)
    info = update_index(tmp_path, progress=False)
    assert info.mode == "update"
    second = current_build(tmp_path)
    with whoosh_index.open_dir(str(second)).reader() as reader:
        segments = [leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()]
    assert _vector_files(second) == sorted(f"{PREFIX}{s}{SUFFIX}" for s in segments)

    # By words: the segments' arrays are what this checks (the fuif page is close in
    # meaning to the jeugdraad pages of this tiny index).
    index = SearchIndex(tmp_path, semantic=False)
    jeugdraad = index.search(SearchRequest(query="jeugdraad", per_page=50))
    urls = {h.url for h in jeugdraad.hits}
    assert jeugdraad.total == 10, sorted(urls)  # 12, less the changed and the removed one
    assert "https://www.vvsg.be/t/5" not in urls and "https://www.vvsg.be/t/3" not in urls
    fuif = index.search(SearchRequest(query="fuifbeleid"))
    assert [h.url for h in fuif.hits] == ["https://www.vvsg.be/t/3"]


def test_a_missing_vector_file_is_rebuilt_in_memory(tmp_path):
    texts = [f"Kinderrechten in gemeente {n}: een kinderrechtenverdrag. " * 3 for n in range(6)]
    _, build = _indexed(tmp_path, texts)
    before = SearchIndex(tmp_path).search(SearchRequest(query="kinderrechten"))
    for name in _vector_files(build):
        (build / name).unlink()
    after = SearchIndex(tmp_path).search(SearchRequest(query="kinderrechten"))
    assert [(h.id, h.score) for h in after.hits] == [(h.id, h.score) for h in before.hits]
    assert write_missing(build) == 1 and _vector_files(build)


def test_a_damaged_vector_file_is_a_clear_error(tmp_path):
    _, build = _indexed(tmp_path, [f"Speelpleinwerking {n} in de zomer. " * 3 for n in range(6)])
    (name,) = _vector_files(build)
    data = (build / name).read_bytes()
    (build / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorrupt, match="kennisbank index --rebuild"):
        SearchIndex(tmp_path).search(SearchRequest(query="speelpleinwerking"))
    (build / name).write_bytes(b"not a vector file at all" + data[40:])
    with pytest.raises(IndexCorrupt):
        SearchIndex(tmp_path).search(SearchRequest(query="speelpleinwerking"))


def test_an_index_of_several_segments_ranks_and_sorts_across_them(tmp_path):
    texts = [f"Het jeugdhuis in deelgemeente {n} zoekt vrijwilligers. " * (n + 1) for n in range(8)]
    _, build = _indexed(tmp_path, texts)
    # A second segment, left unmerged (an update usually merges small segments away).
    ix = whoosh_index.open_dir(str(build))
    writer = ix.writer()
    for n in range(8, 14):
        doc = _doc(n, f"Vrijwilligers voor jeugdhuis {n} gezocht. " * (n - 6))
        writer.add_document(**index_fields(doc, ""))
    writer.commit(merge=False)
    assert write_missing(build) == 1 and len(_vector_files(build)) == 2
    integrity.write_checksums(build)  # changed behind the builder's back: record it

    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
        ranker = Ranker(VectorIndex(build, searcher))
        q = T("body", "jeugdhuis")
        expected = _whoosh_scores(searcher, q)
        got = ranker.evaluate(q)
        center = centroid(ranker, [3, 12], [1.0, 0.5])
        everyone = np.arange(14)
        assert ranker.v.similarity("body", everyone, center) == pytest.approx(
            _cosines(ranker, everyone, center)
        )
    assert len(expected) == 14 and set(np.flatnonzero(got.match).tolist()) == set(expected)
    for docnum, score in expected.items():
        assert got.score[docnum] == pytest.approx(score, rel=1e-6)

    index = SearchIndex(tmp_path)
    newest = index.search(SearchRequest(query="jeugdhuis", sort="date", per_page=20))
    assert newest.total == 14
    dates = [h.date for h in newest.hits]
    assert dates == sorted(dates, reverse=True)
    ranked = index.search(SearchRequest(query="vrijwilligers jeugdhuis", per_page=20))
    assert [h.score for h in ranked.hits] == sorted((h.score for h in ranked.hits), reverse=True)


def test_forward_lists_hold_each_pages_own_terms_and_weights(whoosh_and_ranker):
    searcher, ranker = whoosh_and_ranker
    for docnum in (0, 17, ranker.n - 1):
        forward = ranker.v.forward("body", docnum)
        assert 0 < len(forward) <= FORWARD_TERMS
        for term, weight in forward:
            postings = searcher.postings("body", term)
            postings.skip_to(docnum)
            assert postings.id() == docnum and postings.weight() == pytest.approx(weight)


def test_expansion_terms_come_from_the_best_pages_and_leave_the_query_out(whoosh_and_ranker):
    _, ranker = whoosh_and_ranker
    q = build_query(parse_user_query("speelstraat"))
    scored = ranker.evaluate(q)
    best = top(scored.match, scored.score, np.arange(ranker.n), FEEDBACK_DOCS)
    own = {t.encode() for _, t in q.iter_all_terms(phrases=True)}
    terms = expansion_terms(ranker, best.tolist(), own)
    assert 3 <= len(terms) <= EXPANSION_TERMS
    assert [w for _, w in terms] == sorted((w for _, w in terms), reverse=True)
    for term, _ in terms:
        assert term.encode() not in own
        assert set(ranker.v.postings("body", term).docs.tolist()) & set(best.tolist())


def test_feedback_reorders_the_matches_but_never_changes_them(sample_data, monkeypatch):
    index = SearchIndex(sample_data)
    req = SearchRequest(query="jongeren en de gemeenteraadsverkiezingen", per_page=30)
    with_feedback = index.search(req)
    monkeypatch.setattr(feedback, "FEEDBACK_WEIGHT", 0.0)
    without = index.search(req)
    assert with_feedback.total == without.total
    assert with_feedback.facets == without.facets
    assert [h.id for h in with_feedback.hits] != [h.id for h in without.hits]


def test_an_older_vector_file_still_serves_and_is_renewed_by_the_next_build(tmp_path, monkeypatch):
    texts = [f"Een speelstraat in wijk {n}: buren spelen mee op straat. " * 4 for n in range(6)]
    _, build = _indexed(tmp_path, texts)
    (name,) = _vector_files(build)
    count, arrays = vectors_file.read(build / name)
    old = {k: np.array(v) for k, v in arrays.items() if ".fwd_" not in k}
    vectors_file.write(build / name, count, old, version=1)
    result = SearchIndex(tmp_path).search(SearchRequest(query="speelstraat"))
    assert result.total == 6  # served, without feedback lists
    assert write_missing(build) == 1 and write_missing(build) == 0
    assert "body.fwd_terms" in vectors_file.read(build / name)[1]


def test_positions_read_in_small_batches_are_the_same(whoosh_and_ranker, monkeypatch):
    searcher, _ = whoosh_and_ranker
    leaf = searcher.reader().leaf_readers()[0][0]
    whole = vectors_write.segment_arrays(leaf)
    monkeypatch.setattr(vectors_write._FieldLists, "BATCH", 500)
    batched = vectors_write.segment_arrays(leaf)
    assert whole.keys() == batched.keys()
    for name, arr in whole.items():
        assert np.array_equal(arr, batched[name]), name


def _cosines(ranker: Ranker, docnums, center: dict[bytes, float]) -> list[float]:
    """The cosine of each page's damped forward list with `center`, term by term."""
    length = sum(w * w for w in center.values()) ** 0.5
    out = []
    for docnum in docnums:
        forward = ranker.v.forward("body", int(docnum))
        damped = forward_weight([w for _, w in forward]).tolist()
        norm = sum(w * w for w in damped) ** 0.5
        dot = sum(w * center.get(t, 0.0) for (t, _), w in zip(forward, damped, strict=True))
        out.append(dot / norm / length if norm else 0.0)
    return out


def test_likeness_to_the_best_pages_is_the_cosine_of_their_forward_lists(whoosh_and_ranker):
    searcher, ranker = whoosh_and_ranker
    center = centroid(ranker, [5, 40, 77], [1.0, 0.8, 0.6])
    assert center and all(w > 0 for w in center.values())
    for term in center:
        assert ranker.v.doc_frequency("body", term) == searcher.doc_frequency("body", term)
    docnums = np.array([5, 40, 77, 0, 1, 100, ranker.n - 1])
    got = ranker.v.similarity("body", docnums, center)
    assert got == pytest.approx(_cosines(ranker, docnums, center))
    assert got[0] > 0.3 and got.max() <= 1.0 + 1e-9  # a best page reads like the centroid
    assert ranker.v.similarity("body", docnums, {b"xqzzyvw": 1.0}) == pytest.approx([0.0] * 7)


def test_pages_like_the_best_hits_rise_and_no_page_is_added(tmp_path, monkeypatch):
    street = "Buren sluiten de straat af, kinderen spelen er de zomer lang met stoepkrijt. "
    texts = [
        "Een speelstraat aanvragen. " * 3 + street * 3,  # the best hits
        "De speelstraat in onze wijk. " * 3 + street * 2,
        "Een speelstraat. " + street * 3,  # the word once, about the same thing
        "Een speelstraat. " + "De begroting, de meerjarenplanning en de rekening van het OCMW. ",
        "Het jeugdhuis zoekt vrijwilligers voor de bar en de fuiven. " * 3,  # never a hit
    ]
    _indexed(tmp_path, texts)
    req = SearchRequest(query="speelstraat", per_page=10)
    monkeypatch.setattr(feedback, "SIMILAR_WEIGHT", 0.0)
    # The lexical stage's scores (the dense stage would fuse them into ranks).
    without = SearchIndex(tmp_path, semantic=False).search(req)
    monkeypatch.undo()
    found = SearchIndex(tmp_path, semantic=False).search(req)
    assert found.total == without.total == 4 and found.facets == without.facets
    raised = {h.url: h.score for h in found.hits}
    before = {h.url: h.score for h in without.hits}
    gain = {u.rsplit("/", 1)[1]: raised[u] - before[u] for u in raised}
    # Each page gains by its likeness to the best: the street page more than the budget one.
    assert gain["0"] > gain["2"] > 2 * gain["3"] and gain["3"] >= 0
