"""Speed of our Dutch analysis: index build against Whoosh's LanguageAnalyzer('nl'), and query
analysis time.

Both builds index the same documents (the crawl store of a sample-corpus build, repeated
`--repeat` times) into the same four text fields, one after the other in one run, alternating
which goes first over `--rounds` rounds; the median docs/s of each is printed with the ratio
(target: ours >= 0.8x). Query analysis is the full path from typed text to a Whoosh query
(`parse_user_query` + `build_query`: analysis, decompounding, synonyms) plus the spelling
suggestion lookup, timed per query over the judged queries (target: < 2 ms typical).

    python -m bench.analysis [--data-dir DIR] [--repeat 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.relevance import Doc, build_sample_data, load_docs, load_judgments


def build_docs_per_second(docs: list[Doc], analyzer, folder: Path) -> float:
    from whoosh import fields, index

    schema = fields.Schema(
        url=fields.ID(stored=True),
        title=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
        headings=fields.TEXT(analyzer=analyzer, phrase=False),
        description=fields.TEXT(analyzer=analyzer, stored=True, phrase=False),
        body=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
    )
    folder.mkdir(parents=True)
    started = time.perf_counter()
    ix = index.create_in(str(folder), schema)
    writer = ix.writer(limitmb=256)
    for d in docs:
        writer.add_document(
            url=d.url, title=d.title, headings=d.headings, description=d.description, body=d.body
        )
    writer.commit(optimize=True)
    return len(docs) / (time.perf_counter() - started)


def query_times_ms(texts: list[str], suggester) -> list[float]:
    from indexer.query import build_query, parse_user_query

    times = []
    for text in texts:
        started = time.perf_counter()
        parsed = parse_user_query(text)
        build_query(parsed)
        for word in parsed.words:
            suggester.correct(word)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.analysis", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data-dir", type=Path, help="a data dir built from the sample corpus")
    parser.add_argument("--repeat", type=int, default=3, help="index the documents this often")
    parser.add_argument("--rounds", type=int, default=3, help="alternating build rounds")
    args = parser.parse_args(argv)

    from whoosh.analysis import LanguageAnalyzer

    from indexer import analysis
    from indexer.build import current_build
    from indexer.suggest import VOCABULARY_FILE, Suggester

    with tempfile.TemporaryDirectory(prefix="kb-analysis-") as tmp:
        work = Path(tmp)
        data_dir = args.data_dir or build_sample_data(work)
        docs = load_docs(data_dir) * args.repeat
        engines = {
            "ours": analysis.dutch_analyzer(),
            "LanguageAnalyzer(nl)": LanguageAnalyzer("nl"),
        }
        rates: dict[str, list[float]] = {name: [] for name in engines}
        for r in range(args.rounds):
            order = list(engines) if r % 2 == 0 else list(reversed(engines))
            for name in order:
                folder = work / f"{name.split('(')[0]}-{r}"
                rates[name].append(build_docs_per_second(docs, engines[name], folder))
        ours = statistics.median(rates["ours"])
        theirs = statistics.median(rates["LanguageAnalyzer(nl)"])
        print(f"index build, {len(docs)} documents, median of {args.rounds} rounds:")
        print(f"  ours                   {ours:8.1f} docs/s")
        print(f"  LanguageAnalyzer(nl)   {theirs:8.1f} docs/s")
        print(f"  ratio ours/theirs      {ours / theirs:8.2f}x  (target >= 0.8x)")

        build = current_build(data_dir)
        suggester = Suggester.from_file(build / VOCABULARY_FILE)
        texts = [q.text for q in load_judgments()]
        query_times_ms(texts, suggester)  # warm: first use loads word lists and caches
        analysis._stem_folded.cache_clear()  # stems cached from the builds would flatter us
        times = query_times_ms(texts, suggester)
        times.sort()
        print(f"query analysis + suggestion, {len(texts)} judged queries (cold stem cache):")
        print(
            f"  median {statistics.median(times):.3f} ms, p95 {times[int(len(times) * 0.95)]:.3f}"
            f" ms, max {times[-1]:.3f} ms  (target < 2 ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
