"""The relevance gate: our search on the judged queries must not fall below a floor set a
little under the scores measured by `python -m bench.relevance` (see bench/relevance.py)."""

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Measured 0.891 nDCG@10, 1.000 MRR@10, 0.834 Recall@20 on the sample corpus, with the
# top 20 of all five engines judged (qrels.tsv).
FLOOR = {"ndcg": 0.87, "mrr": 0.96, "recall": 0.81}


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


def test_judgments_are_complete(bench):
    queries = bench.load_judgments()
    assert len(queries) >= 40
    assert all(q.grades and set(q.grades.values()) <= {0, 1, 2, 3} for q in queries)
    categories = {q.category for q in queries}
    assert {"morphology", "compound", "irregular", "diacritics", "abbreviation", "typo"} <= (
        categories
    )
    assert "multiword" in categories


def test_recall_ceiling_counts_queries_with_more_relevant_pages_than_k(bench):
    few = bench.JudgedQuery("a", "x", "x", {"u1": 2, "u2": 0})
    many = bench.JudgedQuery("b", "x", "x", {f"u{i}": 1 for i in range(40)})
    assert bench.recall_ceiling([few, many]) == pytest.approx((1.0 + 0.5) / 2)


def test_metrics_on_a_known_ranking(bench):
    grades = {"a": 3, "b": 1}
    assert bench.ndcg(["a", "b"], grades) == pytest.approx(1.0)
    assert bench.ndcg(["x", "a"], grades) < 1.0
    assert bench.mrr(["x", "b"], grades) == 0.5
    assert bench.recall(["a"], grades) == 0.5


def test_our_relevance_holds_its_floor(bench, sample_data):
    scores = bench.evaluate(bench.our_ranker(sample_data), bench.load_judgments())
    assert scores.ndcg >= FLOOR["ndcg"]
    assert scores.mrr >= FLOOR["mrr"]
    assert scores.recall >= FLOOR["recall"]
