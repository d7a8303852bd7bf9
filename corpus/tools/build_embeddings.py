"""Regenerate the sample corpus's shipped embeddings (`corpus/embeddings/sample-e5.npz`).

The sample mirror is crawled by the real crawler (as `kennisbank crawl --sample` does)
into a temporary data dir, every document is cut into passages (`indexer/passages.py`,
up to `SHIPPED_CAP` passages, more than any build keeps) and embedded with the sentence
model. Entries of the existing file that are still valid are kept, so after a change to
a few sample pages only those are embedded again. Run it after changing the sample, the
passage scheme or the model:

    python corpus/tools/build_embeddings.py            # a few minutes on 2 cores
    python corpus/tools/build_embeddings.py --data-dir DIR   # reuse a crawled sample
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from crawler.store import CrawlStore
from indexer.embedcache import ShippedCache, take, write_shipped
from indexer.embedder import Embedder, EmbedderUnavailable
from indexer.embedding_step import SHIPPED_CACHE
from indexer.passages import SCHEME, split_passages

SHIPPED_CAP = 32


def _documents(data_dir: Path | None) -> list:
    if data_dir is None:
        from search_app.bootstrap import crawl_sample

        data_dir = Path(tempfile.mkdtemp(prefix="kb-embed-sample-"))
        crawl_sample(data_dir, progress=False)
    with CrawlStore(data_dir / "crawl.sqlite") as store:
        return list(store.documents())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a data dir with the sample crawled")
    parser.add_argument("--output", type=Path, default=SHIPPED_CACHE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        embedder = Embedder()
    except EmbedderUnavailable as exc:
        print(f"the sentence model cannot be loaded: {exc}", file=sys.stderr)
        return 1
    docs = _documents(args.data_dir)
    old = ShippedCache(args.output, SCHEME, embedder.model_id)
    items = {}
    todo = []
    for doc in docs:
        texts = split_passages(doc, SHIPPED_CAP)
        kept = take(old.get_many([doc.content_hash]).get(doc.content_hash), len(texts))
        if kept is not None:
            items[doc.content_hash] = kept
        else:
            todo.append((doc.content_hash, texts))
    started = time.monotonic()
    passages = 0
    for content_hash, texts in tqdm(todo, desc="embed", unit="doc"):
        items[content_hash] = embedder.passages(texts)
        passages += len(texts)
    seconds = time.monotonic() - started
    n_docs, n_passages = write_shipped(args.output, items, SCHEME, embedder.model_id)
    print(
        f"{args.output}: {n_docs} documents, {n_passages} passages "
        f"({len(todo)} documents, {passages} passages embedded in {seconds:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
