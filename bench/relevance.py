"""Relevance of our Dutch search against baselines, on the sample corpus and its judgments.

Three sets of judged queries, each a `queries.tsv` with graded judgments (0-3, by URL) in
`qrels.tsv`: tuning (`tests/relevance/`), validation (`tests/relevance/validation/`, chose
the fusion constants only) and held-out (`tests/relevance/heldout/`, never chose
anything); a table per set. Every engine indexes the same documents (the crawl store of one
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
HELDOUT = JUDGMENTS / "heldout"
VALIDATION = JUDGMENTS / "validation"
PINNED = JUDGMENTS / "pinned.json"
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
    """The judged queries, in file order (a query file may carry more columns, such as
    the need behind the query, after the first three)."""
    grades: dict[str, dict[str, int]] = {}
    qrels = folder / "qrels.tsv"
    if qrels.is_file():
        for qid, url, grade, *_ in list(_rows(qrels))[1:]:
            grades.setdefault(qid, {})[url] = int(grade)
    return [
        JudgedQuery(qid, category, text, grades.get(qid, {}))
        for qid, category, text, *_ in list(_rows(folder / "queries.tsv"))[1:]
    ]


def grouped(queries: list[JudgedQuery], groups: dict[str, str]) -> list[JudgedQuery]:
    """The judgments by hit: documents shown as one hit (near-duplicates, a landing page
    and its PDF) are one judged item, graded as its best member."""
    out = []
    for q in queries:
        grades: dict[str, int] = {}
        for url, grade in q.grades.items():
            key = groups.get(url, url)
            grades[key] = max(grades.get(key, 0), grade)
        out.append(JudgedQuery(q.qid, q.category, q.text, grades))
    return out


def grouped_ranker(ranker: Ranker, groups: dict[str, str]) -> Ranker:
    """A ranking with every group cut back to its first-ranked member, named as the
    hit it is shown as: how every engine is scored, ours and the baselines alike."""

    def rank(text: str) -> list[str]:
        seen: set[str] = set()
        out = []
        for url in ranker(text):
            key = groups.get(url, url)
            if key not in seen:
                seen.add(key)
                out.append(key)
        return out

    return rank


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


def capped_recall(ranked: list[str], grades: dict[str, int], k: int = K_RECALL) -> float:
    """BEIR's R_cap@k: found / min(k, relevant), so a query with more than k relevant
    pages can still reach 1."""
    relevant = {u for u, g in grades.items() if g >= 1}
    return len(relevant & set(ranked[:k])) / min(k, len(relevant)) if relevant else 0.0


@dataclass
class Scores:
    ndcg: float
    mrr: float
    recall: float
    per_query: dict[str, float]  # qid -> nDCG@10
    capped: float = 0.0  # R_cap@20


def evaluate(ranker: Ranker, queries: list[JudgedQuery]) -> Scores:
    n, m, r, c, per = 0.0, 0.0, 0.0, 0.0, {}
    for q in queries:
        ranked = ranker(q.text)
        per[q.qid] = ndcg(ranked, q.grades)
        n += per[q.qid]
        m += mrr(ranked, q.grades)
        r += recall(ranked, q.grades)
        c += capped_recall(ranked, q.grades)
    count = len(queries) or 1
    return Scores(n / count, m / count, r / count, per, c / count)


def recall_ceiling(queries: list[JudgedQuery], k: int = K_RECALL) -> float:
    """The best mean Recall@k any ranking can reach: a query with more than k relevant
    pages can have at most k of them in its top k."""
    caps = []
    for q in queries:
        relevant = sum(1 for g in q.grades.values() if g >= 1)
        caps.append(min(k, relevant) / relevant if relevant else 1.0)
    return sum(caps) / (len(caps) or 1)


# --- ours ---------------------------------------------------------------------------------


def our_ranker(data_dir: Path, *, semantic: bool = True) -> Ranker:
    """Our search, as the app answers; `semantic=False`: its lexical stages alone."""
    from indexer.engine import SearchIndex, SearchRequest

    index = SearchIndex(data_dir, semantic=semantic)

    def rank(text: str) -> list[str]:
        result = index.search(SearchRequest(query=text, per_page=K_RECALL, with_facets=False))
        return [h.url for h in result.hits]

    return rank


def dense_ranker(data_dir: Path) -> Ranker | None:
    """multilingual-e5 alone: every page by its best passage's cosine with the query.
    None when the index has no passage vectors or the model cannot load."""
    from indexer.build import current_build
    from indexer.embedder import get_embedder
    from indexer.engine import SearchIndex

    embedder = get_embedder()
    index = SearchIndex(data_dir)
    if embedder is None or not index.semantic():
        return None
    from indexer.dense_read import DenseIndex

    build = current_build(data_dir)
    urls = _urls_by_row(build)
    dense = DenseIndex(build, {doc_id: n for n, (doc_id, _) in enumerate(urls)}, len(urls))

    def rank(text: str) -> list[str]:
        cosine, _ = dense.best_passages(embedder.query(text), None)
        order = sorted(range(len(urls)), key=lambda i: (-float(cosine[i]), urls[i][1]))
        return [urls[i][1] for i in order[: 2 * K_RECALL]]

    return rank


def _urls_by_row(build: Path) -> list[tuple[str, str]]:
    """(id, url) of every document of a build, by Whoosh document number."""
    from whoosh import index as whoosh_index

    with whoosh_index.open_dir(str(build)).searcher() as searcher:
        return [(f["id"], f["url"]) for f in searcher.all_stored_fields()]


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
        return [hit["url"] for hit in searcher.search(q, limit=2 * K_RECALL)]

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
        return [row[0] for row in con.execute(sql, (match, 2 * K_RECALL))]

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
        hits = searcher.search(q, 2 * K_RECALL).hits
        return [searcher.doc(addr)["url"][0] for _score, addr in hits]

    return rank


# --- the run ------------------------------------------------------------------------------


def build_sample_data(folder: Path) -> Path:
    from search_app.bootstrap import build_sample

    data_dir = folder / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    build_sample(data_dir, progress=False)
    return data_dir


BASELINES = ("whoosh StandardAnalyzer", "whoosh LanguageAnalyzer(nl)", "sqlite fts5 unicode61",
             "tantivy dutch stemmer")  # fmt: skip
HYBRID, LEXICAL, DENSE = "ours: hybrid", "ours: lexical only", "e5 dense only"
# tuning: what the language resources and ranking constants were tuned on; validation:
# written later, before any ranking was seen, and used to choose the fusion constants
# only; held-out: never used to choose anything.
SETS = {"tuning": JUDGMENTS, "validation": VALIDATION, "held-out": HELDOUT}


def engines(data_dir: Path, work: Path) -> dict[str, Ranker]:
    """Every engine over the same documents, each cut back to one entry per hit."""
    from whoosh.analysis import LanguageAnalyzer, StandardAnalyzer

    from indexer.engine import SearchIndex

    docs = load_docs(data_dir)
    found: dict[str, Ranker | None] = {
        HYBRID: our_ranker(data_dir),
        LEXICAL: our_ranker(data_dir, semantic=False),
        DENSE: dense_ranker(data_dir),
        BASELINES[0]: whoosh_ranker(docs, StandardAnalyzer(), work / "std"),
        BASELINES[1]: whoosh_ranker(docs, LanguageAnalyzer("nl"), work / "nl"),
        BASELINES[2]: fts5_ranker(docs),
        BASELINES[3]: tantivy_ranker(docs),
    }
    groups = SearchIndex(data_dir).url_groups()
    return {name: grouped_ranker(r, groups) for name, r in found.items() if r is not None}


def run(data_dir: Path, work: Path) -> dict[str, dict[str, Scores]]:
    """Every engine on every judged query of both sets: set -> engine -> scores."""
    from indexer.engine import SearchIndex

    groups = SearchIndex(data_dir).url_groups()
    rankers = engines(data_dir, work)
    out = {}
    for name, folder in SETS.items():
        queries = grouped(load_judgments(folder), groups)
        out[name] = {engine: evaluate(r, queries) for engine, r in rankers.items()}
    return out


def pool(data_dir: Path, work: Path, folder: Path, depth: int = K_RECALL) -> list[tuple]:
    """(qid, url) of every page in some engine's top `depth` that has no judgment yet:
    what the judges read next. Named by the hit's URL, as the metrics count them."""
    from indexer.engine import SearchIndex

    groups = SearchIndex(data_dir).url_groups()
    rankers = engines(data_dir, work)
    queries = grouped(load_judgments(folder), groups)
    missing = []
    for q in queries:
        seen: set[str] = set()
        for ranker in rankers.values():
            for url in ranker(q.text)[:depth]:
                if url not in q.grades and url not in seen:
                    seen.add(url)
                    missing.append((q.qid, url))
    return missing


def cap_costs(data_dir: Path, work: Path, caps: list[int]) -> dict[int, dict[str, Scores]]:
    """Hybrid relevance with at most `cap` passages embedded per page (the head is
    one), each in a rebuild of the same crawl store: what a cap on embedding costs."""
    import shutil

    from indexer import passages
    from indexer.build import update_index
    from indexer.engine import SearchIndex

    saved = passages.MAX_PASSAGES
    out = {}
    try:
        for cap in caps:
            folder = work / f"cap-{cap}"
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(data_dir) / "crawl.sqlite", folder / "crawl.sqlite")
            passages.MAX_PASSAGES = cap
            update_index(folder, rebuild=True, progress=False)
            groups = SearchIndex(folder).url_groups()
            ranker = grouped_ranker(our_ranker(folder), groups)
            out[cap] = {
                name: evaluate(ranker, grouped(load_judgments(sets), groups))
                for name, sets in SETS.items()
            }
    finally:
        passages.MAX_PASSAGES = saved
    return out


# The fusion settings measured to choose `indexer/fusion.py`'s method and weight and
# `indexer/semantic.py`'s PAGE_WEIGHT (docs/search.md, "Fusion").
BLENDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
RRF = [(k, w) for k in (20, 60) for w in (0.5, 1.0, 1.5)]
PAGE_WEIGHTS = (0.4, 0.6, 0.8)
# Who chooses: never the held-out set.
CHOOSING = ("tuning", "validation")


def criterion(by_set: dict[str, Scores]) -> float:
    """What the fusion is chosen by: the mean over the choosing sets of
    (nDCG@10 + Recall@20) / 2."""
    return sum((s.ndcg + s.recall) / 2 for s in by_set.values()) / len(by_set)


def fusion_grid(data_dir: Path) -> list[tuple[dict, dict[str, Scores]]]:
    """Our hybrid under every fusion setting of the grid, on the choosing sets only:
    (setting, set -> scores), in grid order."""
    from indexer import fusion, semantic
    from indexer.engine import SearchIndex

    groups = SearchIndex(data_dir).url_groups()
    sets = {n: grouped(load_judgments(SETS[n]), groups) for n in CHOOSING}
    ranker = grouped_ranker(our_ranker(data_dir), groups)
    settings = [
        {"PAGE_WEIGHT": pw, "METHOD": "blend", "BLEND_DENSE": b}
        for pw in PAGE_WEIGHTS
        for b in BLENDS
    ] + [
        {"PAGE_WEIGHT": pw, "METHOD": "rrf", "K": k, "DENSE_WEIGHT": w}
        for pw in PAGE_WEIGHTS
        for k, w in RRF
    ]
    saved = {n: getattr(fusion, n) for n in ("METHOD", "BLEND_DENSE", "K", "DENSE_WEIGHT")}
    saved_page = semantic.PAGE_WEIGHT
    out = []
    try:
        for setting in settings:
            semantic.PAGE_WEIGHT = setting["PAGE_WEIGHT"]
            for name, value in setting.items():
                if name != "PAGE_WEIGHT":
                    setattr(fusion, name, value)
            out.append((setting, {n: evaluate(ranker, q) for n, q in sets.items()}))
    finally:
        semantic.PAGE_WEIGHT = saved_page
        for name, value in saved.items():
            setattr(fusion, name, value)
    return out


def format_fusion_grid(rows: list[tuple[dict, dict[str, Scores]]]) -> str:
    head = "".join(f"{n + ' nDCG@10 / R@20':>28}" for n in CHOOSING)
    lines = [f"{'fusion':46}{head}{'criterion':>11}"]
    for setting, by_set in rows:
        what = ", ".join(f"{k} {v}" for k, v in setting.items() if k != "METHOD")
        cells = "".join(f"{by_set[n].ndcg:20.3f} / {by_set[n].recall:.3f}" for n in CHOOSING)
        lines.append(f"{setting['METHOD'] + ': ' + what:46}{cells}{criterion(by_set):11.4f}")
    best = max(rows, key=lambda row: criterion(row[1]))
    lines.append(f"best: {best[0]} ({criterion(best[1]):.4f})")
    return "\n".join(lines)


def pin(results: dict[str, dict[str, Scores]]) -> None:
    """Pin what tests/relevance/test_relevance_floor.py holds: our hybrid nDCG@10 per
    tuning query (a regression check per query) and the validation and held-out means
    (floors set from their first measurement)."""
    import json

    tuning = results["tuning"][HYBRID]
    data = {
        "tuning": {"ndcg": round(tuning.ndcg, 4), "recall": round(tuning.recall, 4)},
        "tuning_per_query": {q: round(v, 4) for q, v in tuning.per_query.items()},
    }
    for name in ("validation", "held-out"):
        s = results[name][HYBRID]
        data[name] = {"ndcg": round(s.ndcg, 4), "recall": round(s.recall, 4)}
    PINNED.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def format_table(scores: dict[str, Scores], documents: int, queries: int, title: str) -> str:
    lines = [
        f"{title}: {queries} judged queries, {documents} documents",
        f"{'engine':30} {'nDCG@10':>8} {'MRR@10':>8} {'R@20':>8} {'Rcap@20':>8}",
    ]
    for name, s in scores.items():
        lines.append(f"{name:30} {s.ndcg:8.3f} {s.mrr:8.3f} {s.recall:8.3f} {s.capped:8.3f}")
    best = max(s.ndcg for n, s in scores.items() if n in BASELINES)
    lines.append(f"hybrid / best stock baseline nDCG@10: {scores[HYBRID].ndcg / best:.2f}x")
    lines.append(
        f"hybrid - lexical only nDCG@10: {scores[HYBRID].ndcg - scores[LEXICAL].ndcg:+.3f}"
    )
    return "\n".join(lines)


def per_query_table(scores: dict[str, Scores], queries: list[JudgedQuery]) -> str:
    """nDCG@10 per query, one column per engine."""
    names = list(scores)
    lines = ["qid  " + " ".join(f"{n[:10]:>10}" for n in names) + "  query"]
    for q in queries:
        row = " ".join(f"{scores[n].per_query[q.qid]:10.3f}" for n in names)
        lines.append(f"{q.qid}  {row}  {q.text}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.relevance", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--data-dir", type=Path, help="a data dir built from the sample corpus (default: build one)"
    )
    parser.add_argument("--per-query", action="store_true", help="also print nDCG@10 per query")
    parser.add_argument(
        "--write", action="store_true", help="also write the tables to BENCHMARKS.md"
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help=f"write our hybrid scores per tuning query and the held-out means to {PINNED.name}",
    )
    parser.add_argument(
        "--caps",
        help="comma-separated passage caps to measure (e.g. 1,2,4,8): rebuilds the index per cap",
    )
    parser.add_argument(
        "--fusion",
        action="store_true",
        help="measure the fusion grid on the tuning and validation sets (never held-out)",
    )
    parser.add_argument(
        "--pool",
        choices=sorted(SETS),
        help="print the unjudged (qid, url) pairs of every engine's top 20 for this set",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="kb-relevance-") as tmp:
        work = Path(tmp)
        data_dir = args.data_dir or build_sample_data(work)
        if args.pool:
            for qid, url in pool(data_dir, work, SETS[args.pool]):
                print(f"{qid}\t{url}")
            return 0
        if args.fusion:
            print(format_fusion_grid(fusion_grid(data_dir)))
            return 0
        if args.caps:
            caps = [int(c) for c in args.caps.split(",")]
            print(f"{'passages per page':18} {'set':9} {'nDCG@10':>8} {'MRR@10':>8} {'R@20':>8}")
            for cap, by_set in cap_costs(data_dir, work, caps).items():
                for name, s in by_set.items():
                    print(f"{cap:<18} {name:9} {s.ndcg:8.3f} {s.mrr:8.3f} {s.recall:8.3f}")
            return 0
        results = run(data_dir, work)
        if args.pin:
            pin(results)
        documents = len(load_docs(data_dir))
        tables = []
        for name, scores in results.items():
            queries = load_judgments(SETS[name])
            table = format_table(scores, documents, len(queries), name)
            table += f"\nRecall@20 ceiling of these judgments: {recall_ceiling(queries):.3f}"
            print(table + "\n")
            tables.append(table)
            if args.per_query:
                print(per_query_table(scores, queries) + "\n")
        if args.write:
            from bench.report import update_section

            body = (
                "Written by `python -m bench relevance --write`: every engine on the same "
                "sample index in one run; documents shown as one hit are judged as that hit. "
                "The tuning set is what the language resources and the ranking constants were "
                "tuned on; the validation set was written later, before any ranking was seen, "
                "and chose the fusion constants only; the held-out set was written before any "
                "ranking was seen and never chose anything.\n\n```\n"
                + "\n\n".join(tables)
                + "\n```\n"
            )
            update_section("relevance", "Relevance: tuning, validation and held-out queries", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
