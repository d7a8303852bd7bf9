"""Shared fixtures: the bundled mirror on a real loopback server, a crawled and indexed
copy of the sample corpus, the Flask app and its test client, and the app served by
waitress on 127.0.0.1."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from waitress import create_server, wasyncore

from crawler.config import load_sources
from crawler.mirror import MirrorServer
from crawler.store import CrawlStore, Document
from search_app import create_app, settings
from search_app.bootstrap import build_sample

REPO = Path(__file__).resolve().parent.parent


def store_texts(folder: Path, texts: list[str], *, path: str, date: str) -> None:
    """A crawl store in `folder` with one short Dutch news document per text."""
    with CrawlStore(folder / "crawl.sqlite") as store:
        for n, text in enumerate(texts):
            doc = Document(
                url=f"https://www.vvsg.be/{path}/{n}",
                source="test",
                title=f"Bericht {n}",
                text=text,
                doc_type="nieuws",
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                fetched_at="2026-01-01T00:00:00+00:00",
                date=date,
            )
            store.save_document(
                doc, http_status=200, final_url=doc.url, etag=None, last_modified=None
            )


@pytest.fixture(scope="session")
def texts_store():
    """`store_texts`, for tests that build their own small index."""
    return store_texts


@pytest.fixture(scope="session")
def sources_file() -> Path:
    return settings.SOURCES_FILE


@pytest.fixture(scope="session")
def sources(sources_file):
    return load_sources(sources_file)


@pytest.fixture
def mirror():
    """The bundled sample mirror served on 127.0.0.1, with a request log."""
    with MirrorServer(settings.SAMPLE_SITES) as server:
        yield server


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory) -> Path:
    """A data dir with the whole sample corpus crawled and indexed, built once."""
    data_dir = tmp_path_factory.mktemp("sample-data")
    build_sample(data_dir, progress=False)
    return data_dir


@pytest.fixture(scope="session")
def app(sample_data):
    return create_app({"DATA_DIR": str(sample_data), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@contextmanager
def _served(app, threads: int = 4) -> Iterator[str]:
    """The app on a real waitress server on a free port of 127.0.0.1, in a thread; yields
    its base URL and stops it cleanly."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Requests in service finish first (their replies need the loop); then the sockets
        # are closed from the server's own loop thread: closing them from this one races
        # the select() it is in (EBADF in the server thread, an error at teardown).
        server.task_dispatcher.shutdown()
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def serve():
    """`with serve(app, threads) as base_url:` runs the app on a real loopback server."""
    return _served
