"""Search benchmark: the real app under bounded load, and the same queries in-process.

For a generated corpus (see `bench.generate`; the index is built if missing), in one
run:

1. In-process, the same queries three ways: raw Whoosh (the product's index and query,
   `searcher.search(groupedby=facets)`, stored fields of the page's hits, no
   snippets), the product's engine (`SearchIndex.search`, with snippets), and then
2. the real app served by `kennisbank serve` (waitress, 127.0.0.1) driven by `wrk`
   (Debian; it takes little of the 2 cores) or, without it, a bounded Python client,
   at concurrency 1 and 8, with 1 and with 2 worker processes.

With and without the dense stage, side by side: in process, the same engine object
once with the dense stage ("hybrid") and once lexical-only (`semantic=False`), the two
interleaved query by query; every hybrid request embeds its query (the embedder's cache
of repeated queries is emptied first), as a new query would. The served app runs once
as is and once with `KENNISBANK_DENSE=0`, and the memory of its workers (PSS and USS)
is read after each. The generated corpora get passage vectors COMPOSED from the
sample's (`bench.compose`, not embedded): speed and memory only, never relevance.

Scenarios: (a) plain query (in-process only: the API always counts facets), (b) all
facets, (c) two facet filters selected (disjunctive counts), (d) page 5, (e) an export
of 1,000 hits when the app has an export endpoint. Queries are one to three words drawn
from the corpus's own vocabulary, seeded.

    python -m bench.search -n 10000 --duration 10
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from crawler.store import CrawlStore
from indexer.embedder import get_embedder

from . import report, served
from .generate import DEFAULT_SEED
from .index import DEFAULT_WORK, corpus_dir

log = logging.getLogger(__name__)

SCENARIOS = {
    "a": "plain query",
    "b": "all facets",
    "c": "two facet filters",
    "d": "page 5",
    "e": "export 1,000 hits",
}
# Candidate export endpoints (the path moved once); the first that answers
# 200 is benchmarked.
EXPORT_PATHS = ("/api/v1/export", "/export")
_WORD = re.compile(r"[a-zà-ÿ]{5,}")
_STOP = {
    "zijn", "worden", "wordt", "hebben", "heeft", "kunnen", "onder", "tussen", "omdat",
    "waren", "welke", "andere", "zoals", "hun", "deze", "alleen", "eerst", "wanneer",
    "waarom", "echter", "ander", "zelfs", "steeds", "daarna", "samen", "staat", "komen",
}  # fmt: skip


# --- workload -------------------------------------------------------------------


def workload(data_dir: Path, count: int, seed: int) -> dict:
    """Queries (1-3 words from the corpus vocabulary) and facet values for filters."""
    words: Counter[str] = Counter()
    types: Counter[str] = Counter()
    themes: Counter[str] = Counter()
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        for i, doc in enumerate(store.documents()):
            if i >= 3000:
                break
            words.update(set(_WORD.findall(f"{doc.title} {doc.text}".lower())))
            types[doc.doc_type] += 1
            themes.update(doc.themes)
    vocab = [w for w, _ in words.most_common(600) if w not in _STOP][:400]
    rnd = random.Random(seed)
    queries = [" ".join(rnd.sample(vocab, rnd.choice((1, 1, 2, 2, 3)))) for _ in range(count)]
    filters = [
        {"type": [rnd.choice(list(types))], "theme": [rnd.choice(list(themes))]}
        for _ in range(count)
    ]
    return {"queries": queries, "filters": filters}


def paths(scenario: str, work: dict, export_path: str | None) -> list[str]:
    out = []
    for q, f in zip(work["queries"], work["filters"], strict=True):
        if scenario in ("a", "b"):
            args: list[tuple[str, str]] = [("q", q)]
        elif scenario == "c":
            args = [("q", q), ("type", f["type"][0]), ("theme", f["theme"][0])]
        elif scenario == "d":
            args = [("q", q), ("page", "5")]
        else:
            args = [("q", q), ("format", "csv"), ("limit", "1000")]
            out.append(f"{export_path}?{urlencode(args)}")
            continue
        out.append(f"/api/v1/search?{urlencode(args)}")
    return out


# --- in-process -------------------------------------------------------------------


def _percentiles(samples: list[float]) -> dict:
    s = sorted(samples)

    def pct(p: float) -> float:
        return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "n": len(s)}


def _timed_side_by_side(funcs: dict, items: list, budget: float) -> dict[str, dict]:
    """Run every func of `funcs` on each item in turn (the order rotating per item), so
    they meet the same load on this shared machine; bounded like `_timed`."""
    names = list(funcs)
    for name in names:
        funcs[name](items[0])  # warm
    samples: dict[str, list[float]] = {name: [] for name in names}
    deadline = time.monotonic() + budget * len(names)
    for j, item in enumerate(items):
        for name in names[j % len(names) :] + names[: j % len(names)]:
            started = time.perf_counter()
            funcs[name](item)
            samples[name].append((time.perf_counter() - started) * 1000)
        if time.monotonic() > deadline:
            break
    out = {}
    for name, got in samples.items():
        out[name] = _percentiles(got)
        out[name]["rps"] = len(got) / (sum(got) / 1000)
    return out


def _timed(func, items: list, budget: float) -> dict:
    """Run `func` over `items` (bounded: all items or `budget` seconds), ms latencies."""
    func(items[0])  # warm: caches, first-touch of the index pages
    samples = []
    deadline = time.monotonic() + budget
    for item in items:
        started = time.perf_counter()
        func(item)
        samples.append((time.perf_counter() - started) * 1000)
        if time.monotonic() > deadline:
            break
    out = _percentiles(samples)
    out["rps"] = len(samples) / (sum(samples) / 1000)
    return out


def in_process(data_dir: Path, work: dict, budget: float) -> dict[str, dict[str, dict]]:
    from whoosh import query as wq
    from whoosh import sorting

    from indexer.engine import SearchIndex, SearchRequest
    from indexer.query import build_query, parse_user_query
    from indexer.schema import FACET_FIELDS, MULTI_VALUED

    engine = SearchIndex(data_dir)
    version = engine._current()  # the same open searcher the engine uses (held to the end)
    searcher = version.searcher
    # The same engine (same searcher, same caches) with the dense stage switched off.
    lexical_engine = copy.copy(engine)
    lexical_engine._semantic = False
    embedder = get_embedder() if version.dense is not None else None

    def facets(skip=()):
        return {
            n: sorting.FieldFacet(f, allow_overlap=f in MULTI_VALUED, maptype=sorting.Count)
            for n, f in FACET_FIELDS.items()
            if n not in skip
        }

    def raw(scenario: str, i: int) -> None:
        q = build_query(parse_user_query(work["queries"][i])) or wq.Every()
        page = 5 if scenario == "d" else 1
        if scenario == "c":
            f = work["filters"][i]
            t = wq.Term("type", f["type"][0])
            h = wq.Term("themes", f["theme"][0])
            r = searcher.search(wq.And([q, t, h]), limit=10, groupedby=facets(("type", "theme")))
            # disjunctive counts: each selected facet counted without its own filter
            searcher.search(wq.And([q, h]), limit=1, groupedby=facets_only("type"))
            searcher.search(wq.And([q, t]), limit=1, groupedby=facets_only("theme"))
        else:
            grouped = facets() if scenario != "a" else None
            r = searcher.search(q, limit=10 * page, groupedby=grouped)
        for hit in r[(page - 1) * 10 : page * 10]:
            hit.fields()

    def facets_only(name: str):
        f = FACET_FIELDS[name]
        return {name: sorting.FieldFacet(f, allow_overlap=f in MULTI_VALUED, maptype=sorting.Count)}

    def product(scenario: str, i: int, eng=engine) -> None:
        req = SearchRequest(query=work["queries"][i], with_facets=scenario != "a")
        if scenario == "c":
            req.filters = work["filters"][i]
        if scenario == "d":
            req.page = 5
        if eng is engine and embedder is not None:
            embedder._queries.clear()  # every hybrid request embeds its query
        eng.search(req)

    out: dict[str, dict[str, dict]] = {}
    idx = list(range(len(work["queries"])))
    for scenario in "abcd":
        funcs = {
            "raw": lambda i, s=scenario: raw(s, i),
            "engine": lambda i, s=scenario: product(s, i, lexical_engine),
        }
        if embedder is not None:
            funcs["hybrid"] = lambda i, s=scenario: product(s, i, engine)
        out[scenario] = _timed_side_by_side(funcs, idx, budget)
    if embedder is not None:  # what embedding a query costs on its own
        texts = [f"{q} {k}" for k, q in enumerate(work["queries"][:100])]
        out["embed"] = {"query": _timed(embedder.query, texts, budget)}
    return out


# --- the served app -----------------------------------------------------------------


class Server(served.Server):
    """The served app, with what the search benchmark measures on it."""

    def warm(self, urls: list[str], workers: int) -> None:
        """Every worker opens its searcher before it is timed."""
        for url in urls[: 4 * workers]:
            with urllib.request.urlopen(self.base + url, timeout=60) as resp:
                resp.read()

    def memory_mb(self) -> float:
        return self.memory()["total_pss"]

    def memory(self) -> dict[str, float]:
        """PSS of all server processes (shared pages counted once) and, per worker
        (the children of a pre-fork arbiter, else the one process), mean PSS and USS
        (its private pages: what each worker adds on its own), in MB."""
        import psutil

        main = psutil.Process(self.proc.pid)
        children = main.children(recursive=True)
        total = 0
        workers = []
        for p in [main, *children]:
            try:
                mem = p.memory_full_info()
            except psutil.Error:
                continue
            pss = getattr(mem, "pss", mem.rss)
            total += pss
            if p is not main or not children:
                workers.append((pss, getattr(mem, "uss", mem.rss)))
        n = max(1, len(workers))
        return {
            "total_pss": total / 1e6,
            "worker_pss": sum(w[0] for w in workers) / n / 1e6,
            "worker_uss": sum(w[1] for w in workers) / n / 1e6,
        }


_WRK_LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\\"p50\\": %%f, \\"p95\\": %%f, \\"p99\\": %%f, \\"requests\\": %%d, " ..
    "\\"seconds\\": %%f, \\"errors\\": %%d, \\"non2xx\\": %%d}\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def load_wrk(base: str, urls: list[str], concurrency: int, duration: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        paths_file = Path(tmp) / "paths.txt"
        paths_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
        script = Path(tmp) / "bench.lua"
        script.write_text(_WRK_LUA % paths_file, encoding="utf-8")
        cmd = ["wrk", "-t", str(min(2, concurrency)), "-c", str(concurrency)]
        cmd += ["-d", f"{max(1, int(duration))}s", "--timeout", "10s", "-s", str(script), base]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    out = json.loads(line.removeprefix("BENCHJSON "))
    out["rps"] = out["requests"] / out["seconds"]
    return out


def load_python(base: str, urls: list[str], concurrency: int, duration: float) -> dict:
    """A bounded threaded client: `duration` seconds and at most 100,000 requests."""
    samples: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    counter = iter(range(100_000))

    def worker() -> None:
        nonlocal errors
        for i in counter:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(base + urls[i % len(urls)], timeout=10) as resp:
                    resp.read()
                ok = True
            except (urllib.error.URLError, OSError):
                ok = False
            ms = (time.perf_counter() - started) * 1000
            with lock:
                samples.append(ms)
                errors += not ok

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = _percentiles(samples)
    out.update(requests=len(samples), seconds=time.monotonic() - started, errors=errors, non2xx=0)
    out["rps"] = len(samples) / out["seconds"]
    return out


def find_export(base: str, q: str) -> str | None:
    for path in EXPORT_PATHS:
        url = f"{base}{path}?{urlencode([('q', q), ('format', 'csv'), ('limit', '10')])}"
        try:
            with urllib.request.urlopen(url, timeout=60) as resp:
                if resp.status == 200:
                    return path
        except (urllib.error.URLError, OSError):
            continue
    return None


# How the served app runs: as is (the dense stage on when the index has vectors; the
# model's OpenMP threads sleep between queries, set by indexer/embedder.py), with the
# threads spinning instead (OMP_WAIT_POLICY=ACTIVE: why the product sets PASSIVE), and
# with the sentence model switched off for the whole process.
MODES = {
    "hybrid": {"OMP_WAIT_POLICY": None},
    "hybrid-spinning": {"OMP_WAIT_POLICY": "ACTIVE"},
    "lexical": {"KENNISBANK_DENSE": "0"},
}
# The in-process measurement runs in a child process per OpenMP setting (libgomp reads
# it once, when the model's engine loads).
# The product sets PASSIVE itself (indexer/embedder.py); ACTIVE shows why.
IN_PROCESS_ENV = {"active": {"OMP_WAIT_POLICY": "ACTIVE"}, "passive": {"OMP_WAIT_POLICY": None}}
IN_PROCESS_LABEL = {"active": "OMP spinning", "passive": "as the product starts"}


def in_process_children(args, budget: float) -> dict:
    """`in_process` in a child per IN_PROCESS_ENV: {env name: its figures}."""
    import os

    out: dict = {}
    for name, extra in IN_PROCESS_ENV.items():
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "in-process.json"
            cmd = [sys.executable, "-m", "bench.search", "--child-in-process", str(target)]
            cmd += ["-n", str(args.n), "--seed", str(args.seed), "--work-dir", str(args.work_dir)]
            cmd += ["--queries", str(args.queries), "--budget", str(budget)]
            env = {k: v for k, v in (os.environ | extra).items() if v is not None}
            print(f"  in-process ({name}) …", file=sys.stderr, flush=True)
            subprocess.run(cmd, env=env, check=True, timeout=3600)
            out[name] = json.loads(target.read_text())
    return out


def served(
    data_dir: Path,
    work: dict,
    workers_list: list[int],
    concurrencies: list[int],
    duration: float,
    client: str,
    threads: int,
    modes: list[str],
) -> dict:
    """Keys: `mode:workers:scenario:concurrency` and `mode:workers:memory|export`."""
    load = load_wrk if client == "wrk" else load_python
    out: dict = {}
    for workers in workers_list:
        for mode in modes:
            with Server(data_dir, workers, threads, env=MODES[mode]) as server:
                export = find_export(server.base, work["queries"][0])
                scenarios = "bcd" + ("e" if export else "")
                for scenario in scenarios:
                    urls = paths(scenario, work, export)
                    server.warm(urls, workers)
                    for c in concurrencies:
                        print(
                            f"  app {mode} {workers}w {scenario} c{c} …",
                            file=sys.stderr,
                            flush=True,
                        )
                        dur = duration if scenario != "e" else min(duration, 10)
                        out[f"{mode}:{workers}:{scenario}:{c}"] = load(server.base, urls, c, dur)
                out[f"{mode}:{workers}:memory"] = server.memory()
                out[f"{mode}:{workers}:export"] = export
    return out


def soak(data_dir: Path, work: dict, workers: int, seconds: float, client: str, threads: int):
    load = load_wrk if client == "wrk" else load_python
    with Server(data_dir, workers, threads) as server:
        urls = paths("b", work, None)
        server.warm(urls, workers)
        result = load(server.base, urls, 8, seconds)
        result["memory_mb"] = server.memory_mb()
    return result


# --- rendering ----------------------------------------------------------------------


def _f(x: float) -> str:
    return f"{x:,.1f}"


def _delta(a: float, b: float) -> str:
    return f"{b - a:+,.1f}"


def render(
    n: int, inproc: dict, app: dict, workers_list, concurrencies, client, soaked, modes
) -> str:
    lines = []
    default = inproc["passive"]
    hybrid = "hybrid" in default["a"]
    rows = []
    for s in "abcd":
        for name, figures in inproc.items():
            r, e = figures[s]["raw"], figures[s]["engine"]
            row = [SCENARIOS[s], IN_PROCESS_LABEL[name], _f(r["p50"]), _f(r["p95"])]
            row += [_f(e["p50"]), _f(e["p95"])]
            if hybrid:
                h = figures[s]["hybrid"]
                row += [_f(h["p50"]), _f(h["p95"]), _delta(e["p95"], h["p95"])]
                row.append(
                    f"lexical {'yes' if e['p95'] <= 80 else 'NO'}, hybrid "
                    f"{'yes' if h['p95'] <= 80 else 'NO'}"
                    if s == "b"
                    else ""
                )
            rows.append(row)
    headers = ["scenario", "process", "raw Whoosh p50", "raw p95", "lexical-only p50"]
    headers.append("lexical-only p95")
    if hybrid:
        headers += ["hybrid p50", "hybrid p95", "hybrid − lexical p95", "p95 ≤ 80 ms"]
    lines.append(f"### In-process, {n:,} documents (ms)\n")
    if hybrid:
        embeds = ", ".join(
            f"{IN_PROCESS_LABEL[name]} p50 {_f(f['embed']['query']['p50'])} / p95 "
            f"{_f(f['embed']['query']['p95'])} ms"
            for name, f in inproc.items()
        )
        lines.append(
            "Side by side, interleaved query by query in one process: raw Whoosh; the engine "
            "lexical-only (`semantic=False`); the same engine with the dense stage (hybrid), "
            "every request embedding its query (no query cache). Once in a process as the "
            "product starts (the model's OpenMP threads sleep between queries: "
            "`OMP_WAIT_POLICY=PASSIVE`, set by indexer/embedder.py), once with them spinning "
            "on the shared cores (`OMP_WAIT_POLICY=ACTIVE`). "
            "Passage vectors COMPOSED from the sample's (`bench.compose`), not embedded: "
            f"speed only. Embedding a query alone: {embeds} (inside the hybrid figures). "
            "Target for all facets: p95 ≤ 80 ms at 100k, with and without the dense stage.\n"
        )
    else:
        lines.append("(The index has no passage vectors: lexical-only.)\n")
    lines.append(report.md_table(headers, rows))
    cleanest = inproc.get("passive", default)  # no OpenMP threads spinning beside it
    raw_p95 = {s: cleanest[s]["raw"]["p95"] for s in "abcd"}
    rows = []
    for w in workers_list:
        for s in "bcde":
            for c in concurrencies:
                for mode in modes:
                    m = app.get(f"{mode}:{w}:{s}:{c}")
                    if m is None or not m["requests"]:
                        continue  # e.g. an export slower than the whole cell
                    ratio = f"{m['p95'] / raw_p95[s]:.2f}×" if s in raw_p95 else "–"
                    rows.append(
                        [mode, w, SCENARIOS[s], c, _f(m["p50"]), _f(m["p95"]), _f(m["p99"]),
                         _f(m["rps"]), m["errors"] + m["non2xx"], ratio]
                    )  # fmt: skip
    lines.append(f"\n### Served app over HTTP ({client}), {n:,} documents (ms, requests/s)\n")
    lines.append(
        "`hybrid`: the app as is (model threads passive); `hybrid-spinning`: with "
        "`OMP_WAIT_POLICY=ACTIVE`; "
        "`lexical`: the same app with `KENNISBANK_DENSE=0`. The "
        "queries repeat over a cell, so after the first pass a hybrid worker takes their "
        "vectors from its query cache.\n"
    )
    lines.append(
        report.md_table(
            [
                "mode",
                "workers",
                "scenario",
                "concurrency",
                "p50",
                "p95",
                "p99",
                "req/s",
                "errors",
                "app p95 / raw p95",
            ],
            rows,
        )  # fmt: skip
    )
    if len(concurrencies) >= 2:
        lo, hi = min(concurrencies), max(concurrencies)
        rows = []
        for w in workers_list:
            for s in "bc":
                for mode in modes:
                    a, b = app.get(f"{mode}:{w}:{s}:{lo}"), app.get(f"{mode}:{w}:{s}:{hi}")
                    if a and b:
                        rows.append(
                            [mode, w, SCENARIOS[s], f"{b['rps'] / a['rps']:.2f}×",
                             f"{b['p95'] / a['p95']:.2f}×"]
                        )  # fmt: skip
        lines.append(f"\n### Concurrency {hi} vs {lo} (target: throughput ≥ 1.3×, p95 ≤ 8×)\n")
        lines.append(
            report.md_table(["mode", "workers", "scenario", "throughput ratio", "p95 ratio"], rows)
        )
    rows = []
    for w in workers_list:
        mem = {m: app.get(f"{m}:{w}:memory") for m in modes}
        for mode, m in mem.items():
            if m:
                rows.append(
                    [mode, w, f"{m['total_pss']:,.0f}", f"{m['worker_pss']:,.0f}",
                     f"{m['worker_uss']:,.0f}"]
                )  # fmt: skip
        if mem.get("hybrid") and mem.get("lexical"):
            h, x = mem["hybrid"], mem["lexical"]
            added = h["worker_pss"] - x["worker_pss"]
            rows.append(
                [f"**added by the dense stage** ({'≤' if added <= 250 else '>'} 250 MB)", w,
                 _delta(x["total_pss"], h["total_pss"]), _delta(x["worker_pss"], h["worker_pss"]),
                 _delta(x["worker_uss"], h["worker_uss"])]
            )  # fmt: skip
    lines.append(f"\n### Server memory after the run, {n:,} documents (MB)\n")
    lines.append(
        "PSS counts a shared page (the mapped index and vector files, the model's code) "
        "once, split among the processes that map it; USS is a process's private memory. "
        "Per worker: the mean over the serving processes. Target: added memory per worker "
        "≤ 250 MB at 100k.\n"
    )
    lines.append(
        report.md_table(
            ["mode", "workers", "all processes PSS", "per worker PSS", "per worker USS"], rows
        )
    )
    if not any(app.get(f"{m}:{w}:export") for w in workers_list for m in modes):
        lines.append("(e) export: the app has no export endpoint yet; not measured.")
    if soaked:
        lines.append(
            f"\nSoak: concurrency 8, {soaked['seconds']:.0f} s, all facets, "
            f"{soaked['workers']} workers: {soaked['requests']:,} requests, "
            f"{soaked['errors'] + soaked['non2xx']} errors, p95 {_f(soaked['p95'])} ms, "
            f"{_f(soaked['rps'])} req/s, server memory {soaked['memory_mb']:,.0f} MB."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.search",
        description="Search benchmark: the served app under bounded load vs in-process Whoosh.",
    )
    parser.add_argument("-n", type=int, default=10_000, help="corpus size")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--sample-store", type=Path, help="a crawled sample crawl.sqlite")
    parser.add_argument("--queries", type=int, default=300, help="distinct queries")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load cell")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per in-process cell")
    parser.add_argument("--workers", default="1,2", help="server processes to try, e.g. 1,2")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads per worker")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--soak", type=float, default=0, help="seconds of c8 load (0: none)")
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"served app, any of: {', '.join(MODES)}",
    )
    parser.add_argument("--no-report", action="store_true", help="do not write BENCHMARKS.md")
    parser.add_argument("--child-in-process", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    modes = [m for m in args.modes.split(",") if m]
    if set(modes) - set(MODES):
        parser.error(f"modes: {', '.join(MODES)}")
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    workers_list = [int(w) for w in args.workers.split(",") if w]
    concurrencies = [int(c) for c in args.concurrency.split(",") if c]

    data_dir = corpus_dir(args.work_dir, args.n, args.seed, args.sample_store)
    from indexer.build import current_build, update_index

    if current_build(data_dir) is None:
        print(f"  building the index of {args.n} documents …", file=sys.stderr, flush=True)
        update_index(data_dir, progress=False)
    work = workload(data_dir, args.queries, args.seed)
    if args.child_in_process:
        result = in_process(data_dir, work, args.budget)
        args.child_in_process.write_text(json.dumps(result))
        return 0
    inproc = in_process_children(args, args.budget)
    app = served(
        data_dir, work, workers_list, concurrencies, args.duration, client, args.threads, modes
    )
    soaked = None
    if args.soak:
        print(f"  soak {args.soak:.0f}s …", file=sys.stderr, flush=True)
        w = max(workers_list)
        soaked = soak(data_dir, work, w, args.soak, client, args.threads) | {"workers": w}
    raw_path = args.work_dir / f"search-{args.n}.json"
    raw_path.write_text(json.dumps({"in_process": inproc, "app": app, "soak": soaked}))
    body = render(args.n, inproc, app, workers_list, concurrencies, client, soaked, modes)
    print(body)
    if not args.no_report:
        report.update_section(f"search{args.n}", f"Search, {args.n:,} documents", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
