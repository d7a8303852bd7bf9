"""Relevance of our Dutch search against baselines, on the sample corpus and its judgments.

The judged queries are `tests/relevance/queries.tsv` and their graded judgments (0-3, by URL)
`tests/relevance/qrels.tsv`. Every engine indexes the same documents (the crawl store of one
real build of the sample corpus) in the same run:

- ours: the project's own search, through `indexer.engine.SearchIndex` on the real build,
  as it answers (a query that finds nothing is answered with its "Bedoelde je ...?" correction);
- Whoosh `StandardAnalyzer` and Whoosh `LanguageAnalyzer('nl')`: the same fields and field
  weights as ours, words OR-ed (Whoosh's default AND would find nothing for most queries);
- SQLite FTS5 with `unicode61 remove_diacritics 2`, ranked by bm25 with the same field weights;
- tantivy with lowercasing, ASCII folding and its Dutch Snowball stemmer, same field weights.

Metrics: nDCG@10 (gain 2^grade - 1), MRR@10 and Recall@20, a document counting as relevant
when its grade is at least 1. Unjudged documents count as grade 0.

    python -m bench.relevance            # builds the sample corpus in a temporary folder
    python -m bench.relevance --data-dir DIR   # reuses a data dir built from the sample
"""

from __future__ import annotations

import argparse
import logging
import math
import re
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JUDGMENTS = REPO / "tests" / "relevance"
K_NDCG = 10
K_RECALL = 20

log = logging.getLogger(__name__)

Ranker = Callable[[str], list[str]]  # query -> ranked URLs


# --- judgments and metrics ----------------------------------------------------------------


@dataclass(frozen=True)
class JudgedQuery:
    qid: str
    category: str
    text: str
    grades: dict[str, int]  # url -> grade 0..3


def _rows(path: Path) -> Iterable[list[str]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and not line.startswith("#"):
                yield line.rstrip("\n").split("\t")


def load_judgments(folder: Path = JUDGMENTS) -> list[JudgedQuery]:
    """The judged queries, in file order."""
    grades: dict[str, dict[str, int]] = {}
    for qid, url, grade in list(_rows(folder / "qrels.tsv"))[1:]:
        grades.setdefault(qid, {})[url] = int(grade)
    return [
        JudgedQuery(qid, category, text, grades.get(qid, {}))
        for qid, category, text in list(_rows(folder / "queries.tsv"))[1:]
    ]


def ndcg(ranked: list[str], grades: dict[str, int], k: int = K_NDCG) -> float:
    dcg = sum((2 ** grades.get(u, 0) - 1) / math.log2(i + 2) for i, u in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr(ranked: list[str], grades: dict[str, int], k: int = K_NDCG) -> float:
    for i, url in enumerate(ranked[:k]):
        if grades.get(url, 0) >= 1:
            return 1.0 / (i + 1)
    return 0.0


def recall(ranked: list[str], grades: dict[str, int], k: int = K_RECALL) -> float:
    relevant = {u for u, g in grades.items() if g >= 1}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


@dataclass
class Scores:
    ndcg: float
    mrr: float
    recall: float
    per_query: dict[str, float]  # qid -> nDCG@10


def evaluate(ranker: Ranker, queries: list[JudgedQuery]) -> Scores:
    n, m, r, per = 0.0, 0.0, 0.0, {}
    for q in queries:
        ranked = ranker(q.text)
        per[q.qid] = ndcg(ranked, q.grades)
        n += per[q.qid]
        m += mrr(ranked, q.grades)
        r += recall(ranked, q.grades)
    count = len(queries) or 1
    return Scores(n / count, m / count, r / count, per)


def recall_ceiling(queries: list[JudgedQuery], k: int = K_RECALL) -> float:
    """The best mean Recall@k any ranking can reach: a query with more than k relevant
    pages can have at most k of them in its top k."""
    caps = []
    for q in queries:
        relevant = sum(1 for g in q.grades.values() if g >= 1)
        caps.append(min(k, relevant) / relevant if relevant else 1.0)
    return sum(caps) / (len(caps) or 1)


# --- ours ---------------------------------------------------------------------------------


def our_ranker(data_dir: Path) -> Ranker:
    """Our search, as the app answers."""
    from indexer.engine import SearchIndex, SearchRequest

    index = SearchIndex(data_dir)

    def rank(text: str) -> list[str]:
        result = index.search(SearchRequest(query=text, per_page=K_RECALL, with_facets=False))
        return [h.url for h in result.hits]

    return rank


# --- baselines ----------------------------------------------------------------------------


@dataclass
class Doc:
    url: str
    title: str
    headings: str
    description: str
    body: str


def load_docs(data_dir: Path) -> list[Doc]:
    from crawler.store import CrawlStore

    with CrawlStore(Path(data_dir) / "crawl.sqlite") as store:
        return [
            Doc(d.url, d.title, "\n".join(d.headings), d.description, d.text)
            for d in store.documents()
        ]


_WORD = re.compile(r"\w+")


# The baselines index title, headings, description and body as separate fields and OR
# the words over them with these weights: the same emphasis as ours, whose `body` also
# holds the title, headings and description (so a title word weighs 1 + 2 there).
BASELINE_BOOSTS = {"title": 4.0, "headings": 2.0, "description": 1.5, "body": 1.0}


def _boosts() -> dict[str, float]:
    return dict(BASELINE_BOOSTS)


def whoosh_ranker(docs: list[Doc], analyzer, folder: Path) -> Ranker:
    from whoosh import fields, index, qparser

    boosts = _boosts()
    schema = fields.Schema(
        url=fields.ID(stored=True, unique=True),
        **{f: fields.TEXT(analyzer=analyzer) for f in boosts},
    )
    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(folder), schema)
    with ix.writer() as writer:
        for d in docs:
            writer.add_document(
                url=d.url, title=d.title, headings=d.headings, description=d.description,
                body=d.body,
            )  # fmt: skip
    searcher = ix.searcher()
    parser = qparser.MultifieldParser(
        list(boosts), schema, fieldboosts=boosts, group=qparser.OrGroup.factory(0.9)
    )

    def rank(text: str) -> list[str]:
        q = parser.parse(" ".join(_WORD.findall(text)))
        return [hit["url"] for hit in searcher.search(q, limit=K_RECALL)]

    return rank


def fts5_ranker(docs: list[Doc]) -> Ranker:
    boosts = _boosts()
    con = sqlite3.connect(":memory:")
    con.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(url UNINDEXED, title, headings, description, "
        "body, tokenize='unicode61 remove_diacritics 2')"
    )
    con.executemany(
        "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
        [(d.url, d.title, d.headings, d.description, d.body) for d in docs],
    )
    weights = ", ".join(str(boosts[f]) for f in ("title", "headings", "description", "body"))
    sql = f"SELECT url FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, {weights}) LIMIT ?"

    def rank(text: str) -> list[str]:
        words = _WORD.findall(text)
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        return [row[0] for row in con.execute(sql, (match, K_RECALL))]

    return rank


def tantivy_ranker(docs: list[Doc]) -> Ranker:
    import tantivy

    boosts = _boosts()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("url", stored=True, tokenizer_name="raw")
    for f in boosts:
        builder.add_text_field(f, tokenizer_name="nl_stem")
    ix = tantivy.Index(builder.build())
    ix.register_tokenizer(
        "nl_stem",
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("dutch"))
        .build(),
    )
    writer = ix.writer(heap_size=50_000_000, num_threads=1)
    for d in docs:
        writer.add_document(
            tantivy.Document(
                url=d.url,
                title=d.title,
                headings=d.headings,
                description=d.description,
                body=d.body,
            )  # fmt: skip
        )
    writer.commit()
    writer.wait_merging_threads()
    ix.reload()
    searcher = ix.searcher()

    def rank(text: str) -> list[str]:
        words = _WORD.findall(text)
        if not words:
            return []
        q = ix.parse_query(" ".join(words), list(boosts), field_boosts=boosts)
        hits = searcher.search(q, K_RECALL).hits
        return [searcher.doc(addr)["url"][0] for _score, addr in hits]

    return rank


# --- the run ------------------------------------------------------------------------------


def build_sample_data(folder: Path) -> Path:
    from search_app.bootstrap import build_sample

    data_dir = folder / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    build_sample(data_dir, progress=False)
    return data_dir


def run(data_dir: Path, work: Path) -> dict[str, Scores]:
    """Every engine on every judged query; name -> scores."""
    from whoosh.analysis import LanguageAnalyzer, StandardAnalyzer

    queries = load_judgments()
    docs = load_docs(data_dir)
    engines: dict[str, Ranker] = {
        "ours": our_ranker(data_dir),
        "whoosh StandardAnalyzer": whoosh_ranker(docs, StandardAnalyzer(), work / "std"),
        "whoosh LanguageAnalyzer(nl)": whoosh_ranker(docs, LanguageAnalyzer("nl"), work / "nl"),
        "sqlite fts5 unicode61": fts5_ranker(docs),
        "tantivy dutch stemmer": tantivy_ranker(docs),
    }
    return {name: evaluate(ranker, queries) for name, ranker in engines.items()}


def format_table(scores: dict[str, Scores], documents: int, queries: int) -> str:
    lines = [
        f"{queries} judged queries, {documents} documents",
        f"{'engine':30} {'nDCG@10':>8} {'MRR@10':>8} {'R@20':>8}",
    ]
    for name, s in scores.items():
        lines.append(f"{name:30} {s.ndcg:8.3f} {s.mrr:8.3f} {s.recall:8.3f}")
    best = max(s.ndcg for n, s in scores.items() if n != "ours")
    lines.append(f"ours / best baseline nDCG@10: {scores['ours'].ndcg / best:.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.relevance", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--data-dir", type=Path, help="a data dir built from the sample corpus (default: build one)"
    )
    parser.add_argument("--per-query", action="store_true", help="also print nDCG@10 per query")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="kb-relevance-") as tmp:
        work = Path(tmp)
        data_dir = args.data_dir or build_sample_data(work)
        scores = run(data_dir, work)
        queries = load_judgments()
        print(format_table(scores, len(load_docs(data_dir)), len(queries)))
        print(f"Recall@20 ceiling of these judgments: {recall_ceiling(queries):.3f}")
        if args.per_query:
            names = list(scores)
            print("qid  " + " ".join(f"{n[:10]:>10}" for n in names) + "  query")
            for q in queries:
                row = " ".join(f"{scores[n].per_query[q.qid]:10.3f}" for n in names)
                print(f"{q.qid}  {row}  {q.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
