"""`python -m bench all|index|search|crawl|extraction|relevance|export|ui|report [args...]`.

Each name runs that benchmark script's `main(argv)` with the remaining arguments; `all`
runs every script that exists (in the order of BENCHMARKS.md) with its defaults, so
one command fills BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import sys
import time

from bench.report import update_section

# name -> module.
SCRIPTS = {
    "index": "bench.index",
    "search": "bench.search",
    "crawl": "bench.crawl",
    "extraction": "bench.extraction",
    "relevance": "bench.relevance",
    "analysis": "bench.analysis",
    "export": "bench.export",
    "ui": "bench.ui",
    "suggest": "bench.suggest",
    "similar": "bench.similar_cost",
    "snippets": "bench.snippets",
    "load": "bench.load",
    "serving": "bench.serving",
    "embedding": "bench.embed_cost",
    "dense": "bench.dense",
    "compose": "bench.compose",
    "report": "bench.report",
}
# What `all` runs, with its arguments: every table of BENCHMARKS.md.
ALL = [
    ("index", ["-n", "10000"]),
    ("index", ["-n", "100000", "--engines", "product"]),
    ("search", ["-n", "10000"]),
    ("search", ["-n", "100000", "--workers", "2", "--soak", "60"]),
    ("crawl", []),
    ("extraction", []),
    ("relevance", ["--write"]),
    ("analysis", []),
    ("export", []),
    ("ui", []),
    ("suggest", []),
    ("similar", []),
    ("snippets", []),
    ("load", []),
    ("embedding", ["--generated", "1000", "--budget", "1500"]),
]


# Scripts that write their own BENCHMARKS.md section; the others' printout is kept.
SELF_REPORTING = {
    "index",
    "search",
    "load",
    "report",
    "extraction",
    "embedding",
    "compose",
    "relevance",
}
TITLES = {
    "crawl": "Crawl of the sample mirror (loopback, politeness off)",
    "analysis": "Dutch analysis: build speed and query analysis",
    "export": "Export, 10,000-document index",
    "ui": "Search page server time, 10,000-document index",
    "suggest": "Suggestions as you type, 10,000-document index",
    "similar": "Cost of the pages-like-the-best-hits step, side by side",
    "serving": "Multi-process serving: gunicorn's pre-fork against the waitress supervisor",
    "snippets": "One page with 40,000 hits, and an unrelated search meanwhile",
    "dense": "The dense stage alone at 10k and 100k documents (composed vectors)",
}


class _Tee(io.TextIOBase):
    def __init__(self, *streams) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def _load(name: str):
    try:
        return importlib.import_module(SCRIPTS[name])
    except ModuleNotFoundError as exc:
        if exc.name == SCRIPTS[name]:
            return None
        raise


def _run(name: str, module, script_args: list[str]) -> int:
    """Run one script; a script that only prints gets its output kept as its
    BENCHMARKS.md section (the others write their own), so every run is recorded."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, printed)):
        code = module.main(script_args)
    if name not in SELF_REPORTING and printed.getvalue().strip() and not code:
        title = TITLES.get(name, name)
        update_section(name, title, "```\n" + printed.getvalue().strip() + "\n```")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the benchmarks; `all` fills BENCHMARKS.md.",
        epilog="Each script has its own --help, e.g. `python -m bench search --help`.",
    )
    parser.add_argument("name", choices=["all", *SCRIPTS], help="which benchmark")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed to that script")
    args = parser.parse_args(argv)
    if args.name != "all":
        module = _load(args.name)
        if module is None:
            parser.error(f"bench.{args.name} does not exist yet")
        return _run(args.name, module, args.args)
    failed = []
    for name, script_args in ALL:
        module = _load(name)
        if module is None:
            print(f"== {name}: no script yet, skipped", file=sys.stderr)
            continue
        started = time.monotonic()
        print(f"== {name} {' '.join(script_args)}", file=sys.stderr, flush=True)
        code = _run(name, module, list(script_args))
        print(f"== {name}: {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
