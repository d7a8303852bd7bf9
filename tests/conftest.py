"""Shared fixtures: the bundled mirror on a real loopback server, a crawled and indexed
copy of the sample corpus, the Flask app and its test client."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.config import load_sources
from crawler.mirror import MirrorServer
from search_app import create_app, settings
from search_app.bootstrap import build_sample

REPO = Path(__file__).resolve().parent.parent


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
