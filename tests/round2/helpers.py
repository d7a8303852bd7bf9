"""Helpers for the second adversarial round: a data dir built from hand-written
documents (real crawl store, real index), and the `kennisbank` command run as a real
subprocess."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from bench.store_fill import insert_documents
from crawler.store import CrawlStore, Document
from indexer.build import update_index

CLI = [sys.executable, "-c", "from search_app.cli import main; main()"]


def document(url: str, title: str, text: str, *, source: str = "proef", **extra) -> Document:
    return Document(
        url=url,
        source=source,
        title=title,
        text=text,
        doc_type="artikel",
        content_hash=hashlib.blake2b(f"{title}\n{text}".encode(), digest_size=16).hexdigest(),
        fetched_at="2026-01-01T00:00:00+00:00",
        date="2025-05-01",
        **extra,
    )


def ordinary(n: int, source: str = "proef") -> list[Document]:
    return [
        document(
            f"https://proef.example/pagina-{i}",
            f"Pagina {i} over de jeugdraad",
            f"De jeugdraad van gemeente {i} bespreekt speelpleinen, jeugdwerk en "
            f"participatie van kinderen en jongeren, vergadering nummer {i}.",
            source=source,
        )
        for i in range(n)
    ]


def data_dir_with(path: Path, docs: list[Document]) -> Path:
    """A data dir whose crawl store holds `docs` and whose index is built from it."""
    with CrawlStore(path / "crawl.sqlite") as store:
        insert_documents(store, docs)
    update_index(path, rebuild=True, progress=False)
    return path


def run_cli(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


def close_app(app) -> None:
    """Close the files of the index version an app has open (the test is done with it)."""
    app.extensions["kennisbank.index"].close()
