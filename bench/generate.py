"""A deterministic scaled corpus for benchmarks, written as a crawl store.

Every generated document is modelled on one document of the bundled sample corpus
(crawled by the real crawler from the loopback mirror): it takes that template's
source, site, type, content type, year, themes and audience (so the facet fields keep
their joint distributions), a length near the template's, and text made of sentences
recombined from every sample document of the same type. Document `i` depends only on
`(seed, i)`, so the 10k corpus is the first 10k documents of the 100k one and the same
N always gives the same corpus. URLs are unique per document.

    python -m bench.generate --data-dir /tmp/kb-bench/10000 -n 10000
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.store_fill import insert_documents
from crawler.store import CrawlStore, Document

log = logging.getLogger(__name__)

DEFAULT_SEED = 8
BATCH = 2_000
# Fixed crawl time for generated documents: a generated corpus must not depend on
# the day it was made.
BASE_FETCHED = "2026-01-15T03:00:00+00:00"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])")
_SLUG = re.compile(r"[^a-z0-9]+")
_LOWER_WORD = re.compile(r"\b[a-zà-ÿ]{3,}\b")
# Share of the words of a recombined sentence swapped for another word of the same
# document type. Without it, whole sentences recur in ~1 % of all documents, far more
# than in a real corpus: every 5-word shingle would then be shared by hundreds of
# documents (which near-duplicate detection rightly finds suspicious).
MUTATION = 0.25


@dataclass
class SamplePool:
    """What the generator draws from: the sample documents and their sentences."""

    templates: list[Document]
    sentences: dict[str, list[str]]  # doc_type -> sentences of that type
    titles: dict[str, list[str]]
    headings: list[str]
    themes: list[str]
    words: dict[str, list[str]]  # doc_type -> lowercase words (with repeats: frequencies)


def _sentences(text: str) -> list[str]:
    out = []
    for para in text.split("\n"):
        for sentence in _SENTENCE_END.split(para.strip()):
            if len(sentence.split()) >= 4:
                out.append(sentence)
    return out


def load_pool(store_path: Path) -> SamplePool:
    """Read the sample crawl store into a pool (in URL order, so it is deterministic)."""
    with CrawlStore(store_path) as store:
        templates = list(store.documents())
    if not templates:
        raise ValueError(f"no documents in {store_path}")
    sentences: dict[str, list[str]] = defaultdict(list)
    titles: dict[str, list[str]] = defaultdict(list)
    headings: list[str] = []
    themes: set[str] = set()
    words: dict[str, list[str]] = defaultdict(list)
    for doc in templates:
        sentences[doc.doc_type].extend(_sentences(doc.text))
        words[doc.doc_type].extend(_LOWER_WORD.findall(doc.text))
        titles[doc.doc_type].append(doc.title)
        headings.extend(doc.headings)
        themes.update(doc.themes)
    return SamplePool(
        templates, dict(sentences), dict(titles), headings, sorted(themes), dict(words)
    )


def crawl_sample_store(target: Path) -> Path:
    """Crawl the bundled mirror (loopback only) into `target` and return its store."""
    from search_app.bootstrap import crawl_sample

    crawl_sample(target, progress=False)
    return target / "crawl.sqlite"


def _slug(text: str, words: int = 6) -> str:
    return "-".join(_SLUG.sub(" ", text.lower()).split()[:words]) or "pagina"


def _mutate(sentence: str, vocab: list[str], rnd: random.Random) -> str:
    tokens = sentence.split(" ")
    for j in range(1, len(tokens)):  # the first word keeps its capital
        if rnd.random() < MUTATION and tokens[j].isalpha() and tokens[j].islower():
            tokens[j] = rnd.choice(vocab)
    return " ".join(tokens)


def make_document(pool: SamplePool, seed: int, i: int) -> Document:
    """Document number `i` of the corpus for `seed`: the same for every N."""
    rnd = random.Random(f"{seed}:{i}")
    tpl = rnd.choice(pool.templates)
    kind = tpl.doc_type
    # Length: the template's, jittered (lognormal, median 1) so lengths spread like
    # the sample's without copying it exactly.
    target = max(40, int(tpl.word_count * rnd.lognormvariate(0.0, 0.25)))
    body: list[str] = []
    para: list[str] = []
    words = 0
    same_kind = pool.sentences.get(kind) or next(iter(pool.sentences.values()))
    vocab = pool.words.get(kind) or next(iter(pool.words.values()))
    while words < target:
        sentence = _mutate(rnd.choice(same_kind), vocab, rnd)
        para.append(sentence)
        words += len(sentence.split())
        if len(para) >= rnd.randint(2, 5):
            body.append(" ".join(para))
            para = []
    if para:
        body.append(" ".join(para))
    text = "\n\n".join(body)
    title = rnd.choice(pool.titles[kind])
    if pool.headings and rnd.random() < 0.5:
        title = f"{title}: {rnd.choice(pool.headings)}"
    headings = [rnd.choice(pool.headings) for _ in tpl.headings] if pool.headings else []
    themes = list(tpl.themes)
    if themes and rnd.random() < 0.3:  # some drift, so not every combination is a copy
        themes[rnd.randrange(len(themes))] = rnd.choice(pool.themes)
        themes = list(dict.fromkeys(themes))
    date = None
    if tpl.date:
        date = f"{tpl.date[:4]}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    path_parts = tpl.url.split("/")[3:]
    section = path_parts[0] if len(path_parts) > 1 else "pagina"
    suffix = ".pdf" if tpl.content_type == "application/pdf" else ".html"
    url = f"https://{tpl.url.split('/')[2]}/{section}/{_slug(title)}-{i:06d}{suffix}"
    description = body[0].split(". ")[0][:300] if rnd.random() < 0.85 else ""
    return Document(
        url=url,
        source=tpl.source,
        title=title,
        text=text,
        doc_type=kind,
        content_hash=hashlib.sha256(f"{url}\n{text}".encode()).hexdigest(),
        fetched_at=BASE_FETCHED,
        description=description,
        date=date,
        modified=None,
        themes=themes,
        audience=list(tpl.audience),
        headings=headings,
        content_type=tpl.content_type,
        language="nl",
    )


def generate(
    data_dir: Path, n: int, seed: int = DEFAULT_SEED, *, sample_store: Path | None = None
) -> Path:
    """Write `n` generated documents into `data_dir/crawl.sqlite` (replacing any
    store there) and return its path. Without `sample_store`, the bundled sample
    is crawled first into a temporary folder."""
    if n < 1:
        raise ValueError("n must be at least 1")
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    store_path = data_dir / "crawl.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store_path}{suffix}").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="kb-sample-") as tmp:
        pool = load_pool(sample_store or crawl_sample_store(Path(tmp)))
    with CrawlStore(store_path) as store:
        batch: list[Document] = []
        for i in range(n):
            batch.append(make_document(pool, seed, i))
            if len(batch) >= BATCH:
                insert_documents(store, batch)
                batch = []
        if batch:
            insert_documents(store, batch)
    return store_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description="Generate a deterministic scaled corpus (a crawl store) from the sample.",
    )
    parser.add_argument("--data-dir", required=True, type=Path, help="where crawl.sqlite goes")
    parser.add_argument("-n", type=int, default=10_000, help="number of documents")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--sample-store", type=Path, help="a crawled sample crawl.sqlite (default: crawl it)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    started = time.monotonic()
    path = generate(args.data_dir, args.n, args.seed, sample_store=args.sample_store)
    print(f"{args.n} documents -> {path} in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
