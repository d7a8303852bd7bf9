"""The relevance gate, on the real sample index (lexical and dense stages together).

- Tuning set (`tests/relevance/queries.tsv`, what the language resources and the ranking
  constants were tuned on): every query keeps its pinned nDCG@10 within a small
  tolerance, so a change that hurts one need fails loudly even when the mean holds.
- Validation set (`tests/relevance/validation/`, written later and used only to choose
  the fusion constants) and held-out set (`tests/relevance/heldout/`, never used to
  choose anything): the means stay above floors set from their first measurement.

The pins are written by `python -m bench relevance --pin` (tests/relevance/pinned.json);
re-pin only with a reason in the commit message.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# How far one tuning query may fall below its pinned nDCG@10, and the means below theirs.
PER_QUERY_TOLERANCE = 0.05
MEAN_TOLERANCE = 0.01
HELD_OUT_TOLERANCE = 0.02


def _bench():
    # bench/ is a folder of scripts, not an installed package: load the module by path.
    spec = importlib.util.spec_from_file_location("bench_relevance", REPO / "bench/relevance.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _bench()


@pytest.fixture(scope="module")
def pinned(bench):
    return json.loads(bench.PINNED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scores(bench, sample_data):
    from indexer.engine import SearchIndex

    index = SearchIndex(sample_data)
    if not index.semantic():
        pytest.skip("the pins are for search by words and meaning; this index has no vectors")
    groups = index.url_groups()
    ranker = bench.grouped_ranker(bench.our_ranker(sample_data), groups)
    return {
        name: bench.evaluate(ranker, bench.grouped(bench.load_judgments(folder), groups))
        for name, folder in bench.SETS.items()
    }


def test_judgments_are_complete(bench):
    for folder in bench.SETS.values():
        queries = bench.load_judgments(folder)
        assert len(queries) >= 30
        assert all(q.grades and set(q.grades.values()) <= {0, 1, 2, 3} for q in queries)
    categories = {q.category for q in bench.load_judgments()}
    assert {"morphology", "compound", "irregular", "diacritics", "abbreviation", "typo"} <= (
        categories
    )
    held_out = {q.category for q in bench.load_judgments(bench.HELDOUT)}
    assert {"howto", "meaning", "number", "colloquial"} <= held_out


def test_the_sets_share_no_query(bench):
    texts = [{q.text.lower() for q in bench.load_judgments(f)} for f in bench.SETS.values()]
    for i, one in enumerate(texts):
        for other in texts[i + 1 :]:
            assert not one & other


def test_recall_ceiling_counts_queries_with_more_relevant_pages_than_k(bench):
    few = bench.JudgedQuery("a", "x", "x", {"u1": 2, "u2": 0})
    many = bench.JudgedQuery("b", "x", "x", {f"u{i}": 1 for i in range(40)})
    assert bench.recall_ceiling([few, many]) == pytest.approx((1.0 + 0.5) / 2)


def test_the_fusion_is_chosen_without_the_held_out_set(bench):
    assert "held-out" not in bench.CHOOSING
    a, b = bench.Scores(0.8, 1.0, 0.6, {}), bench.Scores(0.6, 1.0, 0.4, {})
    assert bench.criterion({"tuning": a, "validation": b}) == pytest.approx((0.7 + 0.5) / 2)
    rows = [
        ({"METHOD": "blend", "BLEND_DENSE": 0.3}, {"tuning": b, "validation": b}),
        ({"METHOD": "blend", "BLEND_DENSE": 0.7}, {"tuning": a, "validation": b}),
    ]
    best = bench.format_fusion_grid(rows).splitlines()[-1]
    assert best.startswith("best: {'METHOD': 'blend', 'BLEND_DENSE': 0.7}")


def test_metrics_on_a_known_ranking(bench):
    grades = {"a": 3, "b": 1}
    assert bench.ndcg(["a", "b"], grades) == pytest.approx(1.0)
    assert bench.ndcg(["x", "a"], grades) < 1.0
    assert bench.mrr(["x", "b"], grades) == 0.5
    assert bench.recall(["a"], grades) == 0.5


def test_a_hit_and_its_copies_are_judged_as_one(bench):
    groups = {"pdf": "page"}
    (q,) = bench.grouped([bench.JudgedQuery("q", "x", "x", {"pdf": 3, "page": 1})], groups)
    assert q.grades == {"page": 3}
    ranked = bench.grouped_ranker(lambda _: ["pdf", "other", "page"], groups)
    assert ranked("x") == ["page", "other"]


def test_every_tuning_query_holds_its_pin(scores, pinned):
    fallen = {
        qid: (round(value, 3), pin)
        for qid, pin in pinned["tuning_per_query"].items()
        if (value := scores["tuning"].per_query[qid]) < pin - PER_QUERY_TOLERANCE
    }
    assert not fallen, f"tuning queries below their pinned nDCG@10: {fallen}"
    assert scores["tuning"].ndcg >= pinned["tuning"]["ndcg"] - MEAN_TOLERANCE
    assert scores["tuning"].recall >= pinned["tuning"]["recall"] - MEAN_TOLERANCE


@pytest.mark.parametrize("name", ["validation", "held-out"])
def test_untuned_means_stay_above_their_floor(scores, pinned, name):
    floor = pinned[name]
    assert scores[name].ndcg >= floor["ndcg"] - HELD_OUT_TOLERANCE
    assert scores[name].recall >= floor["recall"] - HELD_OUT_TOLERANCE
