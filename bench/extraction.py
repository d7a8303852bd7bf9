"""Extraction benchmark: our extraction, trafilatura and the new generic path, side by
side in one run, on the sample mirror and on a public real-world benchmark.

Mirror (always): the bundled mirror crawled from a loopback server, every HTML page
fetched once, then each extractor run over the same bodies and scored against the true
text of the page (`corpus/tools/content/**`), as `bench/crawl.py` scores it: the share
of the page's boilerplate words that leaked into the output, the share of output words
that are not page content, and the share of content words lost. The generic paths run
with the sources' content selectors removed, as on a site nobody wrote rules for.

Real world (`--real PATH`): scrapinghub/article-extraction-benchmark, 181 real news
pages with their true article bodies. PATH is a checkout of that repository or its bare
git directory; nothing of it is copied into the project. Scores come from the
benchmark's own `evaluate.py` (shingle matching), loaded from PATH at run time.

Pages/s are per CPU second of this process (one core). Each run writes its tables into
BENCHMARKS.md (sections `extraction_mirror` and `extraction_real`).

Run: python -m bench extraction [--real PATH] [--skip-mirror] [--bootstrap N]
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import importlib.util
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bs4 import BeautifulSoup  # noqa: E402

from bench.crawl import SOURCES, _visible_words, crawl_once, fetch_all, true_texts, words  # noqa: E402
from bench.report import md_table, update_section  # noqa: E402
from crawler.boilerplate import learn_texts  # noqa: E402
from crawler.config import CrawlSettings, Source, load_sources  # noqa: E402
from crawler.extract import decode_html, extract_html  # noqa: E402

# What the real-world benchmark needs from its repository.
REAL_FILES = ("evaluate.py", "ground-truth.json", "html")

# Extractor: (html text, raw body, url, source) -> main text.
Extractor = Callable[[str, bytes, str, Source], str]


class BenchmarkMissing(Exception):
    """PATH does not hold the real-world benchmark."""


def _ours(generic: str, *, selectors: bool) -> Extractor:
    """The crawler's extraction. `generic`: "precision" is the product's path for pages
    without a configured selector (trafilatura, then `<main>`/`<article>`); "container"
    is the path before it (`<main>`/`<article>` first, then trafilatura), kept here
    only for the comparison: it is the product's path with the page's first `<main>`,
    else `<article>`, given as the content selector."""
    if generic not in ("precision", "container"):
        raise ValueError(f"unknown generic path {generic!r}")
    settings = CrawlSettings()

    def run(html: str, body: bytes, url: str, source: Source) -> str:
        if not selectors:
            source = dataclasses.replace(source, content_selector=_container_first(html, generic))
            source = dataclasses.replace(source, remove=())
        doc = extract_html(body, url, source, settings, keep_noindex=True).document
        return doc.text if doc is not None else ""

    return run


def _container_first(html: str, generic: str) -> str | None:
    """The selector of the old generic path: `main` where the page has one, else
    `article`, else none (then trafilatura)."""
    if generic != "container":
        return None
    soup = BeautifulSoup(html, "lxml")
    return next((tag for tag in ("main", "article") if soup.find(tag) is not None), None)


def _trafilatura(**options) -> Extractor:
    def run(html: str, body: bytes, url: str, source: Source) -> str:
        import trafilatura

        return trafilatura.extract(html, url=url, **options) or ""

    return run


# --- the sample mirror ---------------------------------------------------------------

MIRROR_EXTRACTORS: list[tuple[str, Extractor, bool]] = [
    # (name, extractor, cross-page boilerplate removal after it)
    ("ours: configured selectors", _ours("precision", selectors=True), False),
    ("ours: configured selectors + cross-page", _ours("precision", selectors=True), True),
    ("old generic path (no selectors)", _ours("container", selectors=False), False),
    ("old generic path + cross-page (no selectors)", _ours("container", selectors=False), True),
    ("trafilatura, default", _trafilatura(), False),
    ("trafilatura, favor_precision", _trafilatura(favor_precision=True), False),
    ("new generic path (no selectors)", _ours("precision", selectors=False), False),
    ("new generic path + cross-page (no selectors)", _ours("precision", selectors=False), True),
]


def mirror_quality(bodies, extractors=MIRROR_EXTRACTORS) -> list[dict]:
    """Each extractor over the mirror's HTML bodies, scored against the true texts."""
    config = load_sources(SOURCES)
    sources = {s.name: s for s in config.sources}
    truth = true_texts()
    pages = []  # (url, source, html, body, title, true words, boilerplate words)
    for url, name, body, ctype in bodies:
        doc = extract_html(body, url, sources[name], config.settings, content_type_header=ctype)
        if doc.document is None:
            continue
        html = decode_html(body, ctype)
        title = doc.document.title
        site = url.split("/")[2].removeprefix("www.")
        true = truth.get((site, title))
        true_w = words(true) if true is not None else None
        boiler = _visible_words(html) - true_w - words(title) if true_w is not None else None
        document = not sources[name].is_follow_only(url)
        pages.append((url, name, html, body, title, true_w, boiler, document))
    rows = []
    for label, extract, cross_page in extractors:
        started = time.process_time()
        outputs = {
            url: extract(html, body, url, sources[name]) for url, name, html, body, *_ in pages
        }
        seconds = time.process_time() - started
        if cross_page:
            # What the crawl store would hold: the raw texts of each source's documents.
            by_source = defaultdict(list)
            for url, name, *_, document in pages:
                if document:
                    by_source[name].append(outputs[url])
            models = {name: learn_texts(texts) for name, texts in by_source.items()}
            outputs = {
                url: models[name].remove_from(outputs[url]) if name in models else outputs[url]
                for url, name, *_ in pages
            }
        t = Counter()
        boiler_total = 0
        matched = 0
        for url, _name, _html, _body, title, true_w, boiler, _document in pages:
            if true_w is None:
                continue
            matched += 1
            boiler_total += sum(boiler.values())
            text = outputs[url].strip()
            out_w = words(text[len(title) :] if text.startswith(title) else text)
            t["out"] += sum(out_w.values())
            t["true"] += sum(true_w.values())
            t["leaked"] += sum((out_w - true_w).values())
            t["boiler_leaked"] += sum(((out_w - true_w) & boiler).values())
            t["lost"] += sum((true_w - out_w).values())
        rows.append(
            {
                "extractor": label,
                "pages": matched,
                "boilerplate_leaked": t["boiler_leaked"] / max(1, boiler_total),
                "leak": t["leaked"] / max(1, t["out"]),
                "lost": t["lost"] / max(1, t["true"]),
                "pages_per_s": len(pages) / seconds if seconds else float("inf"),
            }
        )
    return rows


def mirror_table(rows: list[dict]) -> str:
    return md_table(
        ["extractor", "pages scored", "boilerplate leaked", "non-content words in output",
         "content words lost", "pages/s (one core)"],
        [[r["extractor"], r["pages"], f"{r['boilerplate_leaked']:.1%}", f"{r['leak']:.1%}",
          f"{r['lost']:.1%}", f"{r['pages_per_s']:.1f}"] for r in rows],
    )  # fmt: skip


# --- the real-world benchmark ----------------------------------------------------------


def _is_bare_git(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def materialise(path: Path, into: Path) -> Path:
    """A directory holding the benchmark's files: PATH itself when it is a checkout,
    else the files taken out of its bare git directory into `into` (a temporary one)."""
    if all((path / name).exists() for name in REAL_FILES):
        return path
    if not _is_bare_git(path):
        raise BenchmarkMissing(
            f"{path} is neither a checkout of article-extraction-benchmark nor its git directory"
        )
    try:
        archive = subprocess.run(
            ["git", "--git-dir", str(path), "archive", "--format=tar", "HEAD", *REAL_FILES],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        message = stderr.decode(errors="replace").strip() or str(exc)
        raise BenchmarkMissing(f"cannot read {path}: {message}") from exc
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def load_real(root: Path) -> tuple[ModuleType, dict, dict[str, bytes]]:
    """(the benchmark's evaluate module, its ground truth, page id -> HTML bytes)."""
    spec = importlib.util.spec_from_file_location("aeb_evaluate", root / "evaluate.py")
    if spec is None or spec.loader is None:
        raise BenchmarkMissing(f"no evaluate.py in {root}")
    evaluate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evaluate)
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {}
    for key in truth:
        gz, plain = root / "html" / f"{key}.html.gz", root / "html" / f"{key}.html"
        if gz.exists():
            pages[key] = gzip.decompress(gz.read_bytes())
        elif plain.exists():
            pages[key] = plain.read_bytes()
        else:
            raise BenchmarkMissing(f"page {key} of the ground truth is missing from {root}/html")
    return evaluate, truth, pages


REAL_EXTRACTORS: list[tuple[str, Extractor]] = [
    ("ours, old generic path (no content selector)", _ours("container", selectors=False)),
    ("trafilatura, default", _trafilatura()),
    ("trafilatura, as the benchmark runs it (no comments)", _trafilatura(include_comments=False)),
    ("trafilatura, favor_precision, no comments", _trafilatura(favor_precision=True,
                                                                include_comments=False)),
    ("new generic path (ours)", _ours("precision", selectors=False)),
]  # fmt: skip
# Cross-page removal needs a source's other pages; here no site has more than two. As an
# upper bound of what it could do, this row learns per site from those two pages at most
# (lines on both of a site's pages), where a crawl needs 10 pages and half of them.
CROSS_PAGE_REAL = "new generic path + cross-page (per site; lines on both of 2 pages)"


def real_quality(path: Path, n_bootstrap: int, extractors=REAL_EXTRACTORS) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        evaluate, truth, pages = load_real(materialise(path, Path(tmp)))
    source = Source(
        name="benchmark", title="benchmark", start_urls=("https://example.org/",),
        allowed_domains=("example.org",),
    )  # fmt: skip
    htmls = {key: decode_html(body, "") for key, body in pages.items()}
    rows = []
    for label, extract in extractors:
        started = time.process_time()
        prediction = {
            key: {"articleBody": extract(htmls[key], body, truth[key].get("url", ""), source)}
            for key, body in pages.items()
        }
        seconds = time.process_time() - started
        if label.startswith("new generic"):
            rows.append(_score(evaluate, truth, prediction, n_bootstrap, label, seconds))
            label = CROSS_PAGE_REAL
            prediction = _cross_page_by_site(truth, prediction)
        rows.append(_score(evaluate, truth, prediction, n_bootstrap, label, seconds))
    return rows


def _cross_page_by_site(truth: dict, prediction: dict) -> dict:
    by_site = defaultdict(list)
    for key in prediction:
        by_site[urlsplit(truth[key].get("url", "")).hostname or key].append(key)
    out = {}
    for keys in by_site.values():
        model = learn_texts([prediction[k]["articleBody"] for k in keys], min_pages=2)
        for k in keys:
            out[k] = {"articleBody": model.remove_from(prediction[k]["articleBody"])}
    return out


def _score(evaluate, truth, prediction, n_bootstrap, label, seconds) -> dict:
    metrics = evaluate.evaluate(truth, prediction, n_bootstrap)
    row = {"extractor": label, "pages": len(prediction)}
    row["pages_per_s"] = len(prediction) / seconds if seconds else float("inf")
    row.update({k: metrics[k] for k in ("f1", "precision", "recall", "f1_std")})
    return row


def real_table(rows: list[dict]) -> str:
    return md_table(
        ["extractor", "F1", "precision", "recall", "pages/s (one core)"],
        [[r["extractor"], f"{r['f1']:.3f} ± {r['f1_std']:.3f}", f"{r['precision']:.3f}",
          f"{r['recall']:.3f}", f"{r['pages_per_s']:.1f}"] for r in rows],
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench extraction",
        description="Extraction quality and pages/s: ours, trafilatura and the new generic "
        "path, on the sample mirror and (--real) on scrapinghub/article-extraction-benchmark.",
    )
    parser.add_argument(
        "--real",
        type=Path,
        metavar="PATH",
        help="a checkout (or bare git directory) of scrapinghub/article-extraction-benchmark",
    )
    parser.add_argument("--skip-mirror", action="store_true", help="only the real-world set")
    parser.add_argument(
        "--bootstrap", type=int, default=200, help="bootstrap samples for the ± (default 200)"
    )
    args = parser.parse_args(argv)
    if args.real is not None:
        try:
            rows = real_quality(args.real, args.bootstrap)
        except BenchmarkMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        table = real_table(rows)
        print("Real-world pages (article-extraction-benchmark, its own evaluate.py)\n")
        print(table + "\n")
        update_section(
            "extraction_real",
            "Extraction on real pages: scrapinghub/article-extraction-benchmark",
            "181 real news pages with their true article bodies, scored with the benchmark's "
            "own `evaluate.py` (4-word shingles; F1 ± its bootstrap deviation). No content "
            "selector is configured for these sites: this is the path every page without "
            "rules takes. Pages/s per CPU second: `ours` rows are the whole extraction "
            "(links, title, metadata rules, text), the trafilatura rows its text alone. "
            f"Command: `python -m bench extraction --real PATH`.\n\n{table}",
        )
    if not args.skip_mirror:
        with tempfile.TemporaryDirectory() as tmp:
            _, _, store_path = crawl_once(Path(tmp))
            _, bodies = fetch_all(store_path)
        rows = mirror_quality(bodies)
        table = mirror_table(rows)
        print("Sample mirror (true texts from corpus/tools/content)\n")
        print(table)
        update_section(
            "extraction_mirror",
            "Extraction on the sample mirror: configured selectors and the generic paths",
            "Every HTML page of the bundled mirror; words scored against the text each page was "
            "rendered from. Targets for the configured path: boilerplate leaked ≤ 0.5 %, "
            "content lost ≤ 4 %. `no selectors`: the sources' content selectors removed. "
            "`cross-page`: lines on at least half of a source's pages stripped "
            f"(`crawler/boilerplate.py`). Command: `python -m bench extraction`.\n\n{table}",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
