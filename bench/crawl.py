"""Crawler benchmark: the bundled mirror crawled from a loopback server, politeness off.

Prints, in one run:
- the full sample crawl (wall time, pages, pages/s), as `kennisbank crawl --sample` does it;
- fetch throughput alone (every crawled URL fetched again, no extraction);
- extraction throughput alone, on one core (the fetched HTML bodies, in memory);
- peak memory (max RSS of this process);
- extraction quality, our container-based extraction against trafilatura, measured
  against the true text of every page (`corpus/tools/content/**`, the files the pages
  were rendered from): the share of the output that is not page content (boilerplate
  that leaked in) and the share of the real content words lost.

Run: python bench/crawl.py [--repeat N] [--skip-quality]
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from crawler.config import load_sources  # noqa: E402
from crawler.crawl import Crawler  # noqa: E402
from crawler.extract import decode_html, extract_html  # noqa: E402
from crawler.fetch import Fetcher  # noqa: E402
from crawler.mirror import MirrorServer  # noqa: E402
from crawler.store import CrawlStore  # noqa: E402

SITES = REPO / "corpus" / "sites"
CONTENT = REPO / "corpus" / "tools" / "content"
SOURCES = REPO / "corpus" / "sources.toml"
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> Counter:
    return Counter(w.lower() for w in _WORD.findall(text))


def true_texts() -> dict[tuple[str, str], str]:
    """(site, title) -> the body text of the content file, Markdown removed."""
    out = {}
    for path in sorted(CONTENT.rglob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        m = re.match(r"\+\+\+\n(.*?)\n\+\+\+\n(.*)", raw, re.S)
        if not m:
            continue
        meta = tomllib.loads(m.group(1))
        body = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(2))
        body = re.sub(r"[*#]+", " ", body)
        site = path.relative_to(CONTENT).parts[0]
        out[(site, " ".join(meta["title"].split()))] = body
    return out


def crawl_once(data_dir: Path) -> tuple[float, int, Path]:
    config = load_sources(SOURCES)
    store_path = data_dir / "crawl.sqlite"
    with MirrorServer(SITES) as mirror:
        started = time.perf_counter()
        report = Crawler(
            store_path, config.settings, route=mirror.url, polite=False, progress=False
        ).run(list(config.sources))
        seconds = time.perf_counter() - started
    fetched = sum(r.counts["fetched"] for r in report.sources.values())
    return seconds, fetched, store_path


def fetch_all(store_path: Path) -> tuple[float, list[tuple[str, str, bytes, str]]]:
    """Fetch every page the crawl reached again; returns (seconds, HTML bodies)."""
    config = load_sources(SOURCES)
    with CrawlStore(store_path) as store:
        rows = store._db.execute(
            "SELECT url, source FROM pages WHERE status IN ('ok', 'listing', 'noindex',"
            " 'duplicate') ORDER BY url"
        ).fetchall()
    bodies = []
    with MirrorServer(SITES) as mirror:
        fetcher = Fetcher(config.settings, route=mirror.url)
        started = time.perf_counter()
        for url, source in rows:
            resp = fetcher.get(url)
            if resp.content_type == "text/html":
                bodies.append((url, source, resp.body, resp.headers.get("Content-Type", "")))
        seconds = time.perf_counter() - started
        fetcher.close()
    return seconds, bodies


def extraction_speed(bodies, repeat: int) -> float:
    config = load_sources(SOURCES)
    sources = {s.name: s for s in config.sources}
    started = time.perf_counter()
    for _ in range(repeat):
        for url, source, body, ctype in bodies:
            extract_html(body, url, sources[source], config.settings, content_type_header=ctype)
    return len(bodies) * repeat / (time.perf_counter() - started)


def _visible_words(html: str) -> Counter:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for el in soup.select("script, style, noscript, template, head"):
        el.decompose()
    return words(soup.get_text(" "))


def quality(bodies) -> dict[str, dict[str, float]]:
    import trafilatura

    config = load_sources(SOURCES)
    sources = {s.name: s for s in config.sources}
    truth = true_texts()
    totals = {name: Counter() for name in ("container", "trafilatura", "trafilatura_recall")}
    matched = 0
    boiler_total = 0
    for url, source, body, ctype in bodies:
        extracted = extract_html(
            body, url, sources[source], config.settings, content_type_header=ctype
        )
        doc = extracted.document
        if doc is None or doc.content_type != "text/html":
            continue
        site = url.split("/")[2].removeprefix("www.")
        true = truth.get((site, doc.title))
        if true is None:
            continue
        matched += 1
        true_w = words(true)
        html = decode_html(body, ctype)
        boiler = _visible_words(html) - true_w - words(doc.title)
        boiler_total += sum(boiler.values())
        outputs = {
            "container": doc.text,
            "trafilatura": trafilatura.extract(html, url=url, favor_precision=True) or "",
            "trafilatura_recall": trafilatura.extract(html, url=url, favor_recall=True) or "",
        }
        for name, text in outputs.items():
            # The title is a field of its own: drop it where an extractor leads with it.
            text = text.strip()
            out_w = words(text[len(doc.title) :] if text.startswith(doc.title) else text)
            t = totals[name]
            t["out"] += sum(out_w.values())
            t["true"] += sum(true_w.values())
            t["leaked"] += sum((out_w - true_w).values())
            t["boiler_leaked"] += sum(((out_w - true_w) & boiler).values())
            t["lost"] += sum((true_w - out_w).values())
    result = {}
    for name, t in totals.items():
        result[name] = {
            "pages": matched,
            "leak_share": t["leaked"] / max(1, t["out"]),
            "boilerplate_leaked_share": t["boiler_leaked"] / max(1, boiler_total),
            "lost_share": t["lost"] / max(1, t["true"]),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/crawl.py",
        description="Crawl the bundled mirror with politeness off; print fetch and "
        "extraction pages/s, peak memory and extraction quality (ours vs trafilatura).",
    )
    parser.add_argument("--repeat", type=int, default=3, help="extraction passes (default 3)")
    parser.add_argument("--skip-quality", action="store_true", help="skip the quality check")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        seconds, fetched, store_path = crawl_once(Path(tmp))
        print(
            f"full sample crawl   {seconds:6.2f} s  {fetched} requests  "
            f"{fetched / seconds:6.1f} pages/s  (target < 30 s)"
        )
        fetch_s, bodies = fetch_all(store_path)
        print(
            f"fetch only          {fetch_s:6.2f} s  {len(bodies)} HTML pages  "
            f"{len(bodies) / fetch_s:6.1f} pages/s"
        )
        rate = extraction_speed(bodies, max(1, args.repeat))
        print(f"extraction only     {rate:6.1f} pages/s on one core  (target >= 25)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory         {peak:6.1f} MB (max RSS)")
        if not args.skip_quality:
            print(
                "extraction quality  (words; leak = output words that are not page content,"
                " boilerplate leaked = share of the page's boilerplate words in the output,"
                " lost = content words missing)"
            )
            for name, q in quality(bodies).items():
                print(
                    f"  {name:19} pages {q['pages']:4}  leak {q['leak_share']:6.1%}  "
                    f"boilerplate leaked {q['boilerplate_leaked_share']:6.1%}  "
                    f"lost {q['lost_share']:6.1%}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
