"""Index build benchmark: the product's indexer side by side with baselines.

On the same generated documents (see `bench.generate`), in one run, each engine in its
own child process (so peak memory is its own): the product's `update_index(rebuild=
True)`; a raw Whoosh index with `LanguageAnalyzer('nl')` and the same fields; SQLite
FTS5 over pre-stemmed text (nltk's Dutch Snowball stemmer, cached); tantivy with a
Dutch stemmer, one writer thread. Then, for the product, an incremental update of 100
changed documents. Reports documents/s, words/s, index size and peak RSS.

    python -m bench.index -n 10000
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path

from bench.store_fill import insert_documents
from crawler.store import CrawlStore, Document

from . import compose, report
from .generate import DEFAULT_SEED, generate

log = logging.getLogger(__name__)

ENGINES = ("product", "whoosh", "fts5", "tantivy")
DEFAULT_WORK = Path("/tmp/kb-bench")
_WORD = re.compile(r"\w+")


def corpus_dir(work: Path, n: int, seed: int, sample_store: Path | None = None) -> Path:
    """The data dir holding the generated corpus of size `n`; generated when missing."""
    data_dir = work / (str(n) if seed == DEFAULT_SEED else f"{n}-s{seed}")
    stamp = data_dir / "bench-corpus.json"
    want = {"n": n, "seed": seed}
    if (
        not (data_dir / "crawl.sqlite").exists()
        or not stamp.exists()
        or (json.loads(stamp.read_text()) != want)
    ):
        shutil.rmtree(data_dir / "index", ignore_errors=True)
        generate(data_dir, n, seed, sample_store=sample_store)
        (data_dir / compose.STAMP).unlink(missing_ok=True)
        stamp.write_text(json.dumps(want))
    compose_vectors(data_dir)
    return data_dir


def compose_vectors(data_dir: Path, *, again: bool = False) -> bool:
    """Fill the data dir's embedding cache with composed vectors (`bench.compose`), so
    the product's build takes every document's vectors from it and embeds nothing.
    False (and nothing done) when the sentence model is off or unavailable: the build
    is then lexical-only anyway."""
    from indexer.embedder import get_embedder

    embedder = get_embedder()
    if embedder is None:
        return False
    if again or not (data_dir / compose.STAMP).exists():
        print("  composing passage vectors (not embedded) …", file=sys.stderr, flush=True)
        compose.compose_cache(data_dir, model_id=embedder.model_id)
    return True


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    # CPU time as well as wall time: on a shared 2-core machine the wall clock of a
    # build depends on what else runs; its CPU time much less.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the engines (each runs in a child process) -------------------------------


def _build_product(data_dir: Path, out: Path) -> dict:
    from indexer.build import current_build, update_index

    info = update_index(data_dir, rebuild=True, progress=False)
    return {"documents": info.documents, "size": _dir_size(current_build(data_dir))}


def _build_whoosh(data_dir: Path, out: Path) -> dict:
    from whoosh import fields, index
    from whoosh.analysis import LanguageAnalyzer

    ana = LanguageAnalyzer("nl")
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        url=fields.ID(stored=True),
        title=fields.TEXT(analyzer=ana, stored=True),
        headings=fields.TEXT(analyzer=ana, phrase=False),
        description=fields.TEXT(analyzer=ana, stored=True, phrase=False),
        body=fields.TEXT(analyzer=ana, stored=True),
        site=fields.ID(stored=True, sortable=True),
        type=fields.ID(stored=True, sortable=True),
        themes=fields.KEYWORD(stored=True, commas=True),
        audience=fields.KEYWORD(stored=True, commas=True),
        year=fields.NUMERIC(int, stored=True, sortable=True, signed=False),
        date=fields.ID(stored=True, sortable=True),
    )
    out.mkdir(parents=True)
    ix = index.create_in(str(out), schema)
    writer = ix.writer(limitmb=256)
    count = 0
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        for i, d in enumerate(store.documents()):
            writer.add_document(
                id=str(i),
                url=d.url,
                title=d.title,
                headings="\n".join(d.headings),
                description=d.description,
                body=d.text,
                site=d.site,
                type=d.doc_type,
                themes=",".join(d.themes),
                audience=",".join(d.audience),
                year=int(d.date[:4]) if d.date else None,
                date=d.date or "",
            )
            count += 1
    writer.commit(optimize=True)
    return {"documents": count, "size": _dir_size(out)}


def _build_fts5(data_dir: Path, out: Path) -> dict:
    from nltk.stem.snowball import DutchStemmer

    stem = lru_cache(maxsize=200_000)(DutchStemmer().stem)

    def stemmed(text: str) -> str:
        return " ".join(stem(w) for w in _WORD.findall(text.lower()))

    out.mkdir(parents=True)
    db = sqlite3.connect(out / "fts.sqlite")
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, headings, description, body, "
        "site UNINDEXED, type UNINDEXED, themes UNINDEXED, audience UNINDEXED, "
        "year UNINDEXED, url UNINDEXED, tokenize='unicode61 remove_diacritics 2')"
    )
    count = 0
    with CrawlStore(data_dir / "crawl.sqlite") as store, db:
        for d in store.documents():
            db.execute(
                "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    stemmed(d.title),
                    stemmed(" ".join(d.headings)),
                    stemmed(d.description),
                    stemmed(d.text),
                    d.site,
                    d.doc_type,
                    ",".join(d.themes),
                    ",".join(d.audience),
                    int(d.date[:4]) if d.date else None,
                    d.url,
                ),
            )
            count += 1
    db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    db.commit()
    db.close()
    return {"documents": count, "size": _dir_size(out)}


def _build_tantivy(data_dir: Path, out: Path) -> dict:
    import tantivy

    nl = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("dutch"))
        .build()
    )
    sb = tantivy.SchemaBuilder()
    for name in ("title", "headings", "description", "body"):
        sb.add_text_field(name, stored=name != "headings", tokenizer_name="nl")
    for name in ("url", "site", "type", "themes", "audience"):
        sb.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
    sb.add_unsigned_field("year", stored=True, fast=True, indexed=True)
    out.mkdir(parents=True)
    ix = tantivy.Index(sb.build(), path=str(out))
    ix.register_tokenizer("nl", nl)
    writer = ix.writer(heap_size=256_000_000, num_threads=1)
    count = 0
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        for d in store.documents():
            doc = tantivy.Document(
                title=d.title,
                headings=" ".join(d.headings),
                description=d.description,
                body=d.text,
                url=d.url,
                site=d.site,
                type=d.doc_type,
                themes=list(d.themes),
                audience=list(d.audience),
            )
            if d.date:
                doc.add_unsigned("year", int(d.date[:4]))
            writer.add_document(doc)
            count += 1
    writer.commit()
    writer.wait_merging_threads()
    return {"documents": count, "size": _dir_size(out)}


def _update_product(data_dir: Path, out: Path, changes: int = 100) -> dict:
    """Change `changes` documents in the store, then time the incremental update."""
    from indexer.build import update_index

    with CrawlStore(data_dir / "crawl.sqlite") as store:
        originals = [d for _, d in zip(range(changes), store.documents(), strict=False)]
        changed = [Document.from_json(d.to_json()) for d in originals]
        for d in changed:
            d.text += " Bijgewerkt voor de benchmark."
            d.content_hash = d.content_hash[::-1]
        insert_documents(store, changed)
        # Their vectors composed (untimed), not embedded: the model's cost per page is
        # measured on real pages by `bench.embed_cost`.
        composed = compose_vectors(data_dir, again=True)
        started, cpu = time.perf_counter(), _cpu_seconds()
        info = update_index(data_dir, progress=False)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        # Put the corpus back as generated (untimed), for the next run.
        insert_documents(store, originals)
        update_index(data_dir, progress=False)
    return {
        "documents": info.updated,
        "size": 0,
        "seconds": seconds,
        "cpu": cpu,
        "composed": composed,
    }


_BUILDERS = {
    "product": _build_product,
    "whoosh": _build_whoosh,
    "fts5": _build_fts5,
    "tantivy": _build_tantivy,
    "update": _update_product,
}


def run_child(engine: str, data_dir: Path, out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    started, cpu = time.perf_counter(), _cpu_seconds()
    result = _BUILDERS[engine](data_dir, out)
    result.setdefault("seconds", time.perf_counter() - started)
    result.setdefault("cpu", _cpu_seconds() - cpu)
    result["peak_mb"] = _peak_mb()
    return result


def _spawn(engine: str, data_dir: Path, out: Path) -> dict:
    cmd = [sys.executable, "-m", "bench.index", "--child", engine, "--data-dir", str(data_dir)]
    cmd += ["--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{engine} build failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def corpus_words(data_dir: Path) -> int:
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        return sum(d.word_count for d in store.documents())


def run(
    n: int,
    seed: int,
    work: Path,
    engines: list[str],
    update: bool,
    sample_store: Path | None = None,
) -> dict:
    data_dir = corpus_dir(work, n, seed, sample_store)
    words = corpus_words(data_dir)
    results: dict[str, dict] = {}
    for engine in engines:
        print(f"  building {engine} ({n} documents) …", file=sys.stderr, flush=True)
        out = work / "baselines" / f"{engine}-{n}"
        results[engine] = _spawn(engine, data_dir, out)
        shutil.rmtree(out, ignore_errors=True)
    if update and "product" in engines:
        print("  incremental update of 100 documents …", file=sys.stderr, flush=True)
        results["update"] = _spawn("update", data_dir, work / "baselines" / "update")
    return {"n": n, "words": words, "results": results}


def render(runs: list[dict]) -> str:
    rows = []
    for r in runs:
        res = r["results"]
        raw = res.get("whoosh", {}).get("cpu")
        for engine in ENGINES:
            if engine not in res:
                continue
            e = res[engine]
            cpu = e.get("cpu") or e["seconds"]
            rows.append(
                [
                    f"{r['n']:,}",
                    engine,
                    f"{e['seconds']:.1f}",
                    f"{cpu:.1f}",
                    f"{e['documents'] / cpu:,.0f}",
                    f"{r['words'] / cpu:,.0f}",
                    f"{e['size'] / 1e6:,.1f}",
                    f"{e['peak_mb']:,.0f}",
                    f"{raw / cpu:.2f}×" if raw else "–",
                ]
            )
        if "update" in res:
            u = res["update"]
            label = "product: update 100 changed"
            if u.get("composed"):
                label += " (their vectors composed beforehand, untimed)"
            rows.append(
                [f"{r['n']:,}", label, f"{u['seconds']:.1f}"]
                + [f"{u['cpu']:.1f}", "–", "–", "–", f"{u['peak_mb']:,.0f}", "–"]
            )
    table = report.md_table(
        [
            "docs",
            "engine",
            "wall s",
            "CPU s",
            "docs per CPU-s",
            "words per CPU-s",
            "index MB",
            "peak RSS MB",
            "speed vs raw Whoosh (CPU)",
        ],
        rows,
    )
    notes = (
        "Each engine builds in its own child process from the same crawl store (reading the "
        "store is inside every timing). `whoosh` = raw Whoosh, `LanguageAnalyzer('nl')`, same "
        "fields; `fts5` = SQLite FTS5 over text pre-stemmed with nltk's Dutch Snowball stemmer "
        "(cached); `tantivy` = tantivy-py with its Dutch stemmer, one writer thread. Rates are "
        "per CPU second of the builder process (the wall clock on this shared machine depends "
        "on what else runs). "
        "The product's build includes its embedding step, with every passage vector taken "
        "from the data dir's cache, where `bench.compose` put vectors COMPOSED from the "
        "sample's (not embedded: the model's own cost is in `bench.embed_cost`). "
        "Target: product ≥ 0.8× raw Whoosh; update of 100 changed documents < 10 s at 100k."
    )
    return f"{notes}\n\n{table}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.index",
        description="Index build benchmark: the product's indexer vs raw Whoosh, FTS5, tantivy.",
    )
    parser.add_argument("-n", type=int, action="append", help="corpus size (repeatable)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
    parser.add_argument("--no-update", action="store_true", help="skip the update timing")
    parser.add_argument(
        "--sample-store", type=Path, help="a crawled sample crawl.sqlite (default: crawl it)"
    )
    parser.add_argument("--no-report", action="store_true", help="do not write BENCHMARKS.md")
    parser.add_argument("--child", choices=sorted(_BUILDERS), help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        print(json.dumps(run_child(args.child, args.data_dir, args.out)))
        return 0
    engines = [e for e in args.engines.split(",") if e]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    runs = [
        run(n, args.seed, args.work_dir, engines, not args.no_update, args.sample_store)
        for n in args.n or [10_000]
    ]
    body = render(runs)
    print(body)
    if not args.no_report:
        sizes = args.n or [10_000]
        report.update_section(
            "index" + "-".join(str(n) for n in sizes),
            "Index build, " + ", ".join(f"{n:,}" for n in sizes) + " documents",
            body,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
