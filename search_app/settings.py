"""Settings with their defaults, in one place: data dir, sources file, bundled corpus, limits.

Where a setting comes from, first match wins: the command-line option, then the
environment (KENNISBANK_DATA, KENNISBANK_SOURCES), then the data dir (a `sources.toml`
in it), then the default bundled with the package (`corpus`, read as package data).
"""

from __future__ import annotations

import os
from pathlib import Path

from corpus import resource_path
from indexer.engine import MAX_RESULT_WINDOW as MAX_RESULT_WINDOW
from indexer.engine import YEAR_BOUNDS
from indexer.query import MAX_QUERY_CHARS as MAX_QUERY_CHARS

DATA_ENV = "KENNISBANK_DATA"
SOURCES_ENV = "KENNISBANK_SOURCES"
DEFAULT_DATA_DIR = "kennisbank-data"
SOURCES_NAME = "sources.toml"
# The bundled defaults: package data of `corpus`, in a clone and in a wheel install alike.
SOURCES_FILE = resource_path(SOURCES_NAME)
SAMPLE_SITES = resource_path("sites")
SAMPLE_MARKER = "sample-corpus.json"

# MAX_QUERY_CHARS (query text), MAX_RESULT_WINDOW (page x per_page) and the year
# bounds are defined by the search engine, which enforces them, and imported above.
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
MAX_PAGE = 1000
MAX_FILTER_VALUES = 20
MAX_FILTER_CHARS = 200
YEAR_MIN, YEAR_MAX = YEAR_BOUNDS


def resolve_data_dir(value: str | os.PathLike | None) -> Path:
    """--data-dir, else $KENNISBANK_DATA, else ./kennisbank-data."""
    if value:
        return Path(value).expanduser().resolve()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return (Path.cwd() / DEFAULT_DATA_DIR).resolve()


def resolve_sources_file(value: str | os.PathLike | None, data_dir: Path | None = None) -> Path:
    """--sources, else $KENNISBANK_SOURCES, else `sources.toml` in the data dir, else the
    bundled default."""
    if value:
        return Path(value).expanduser()
    env = os.environ.get(SOURCES_ENV)
    if env:
        return Path(env).expanduser()
    if data_dir is not None and (Path(data_dir) / SOURCES_NAME).is_file():
        return Path(data_dir) / SOURCES_NAME
    return SOURCES_FILE


def is_sample(data_dir: Path) -> bool:
    return (Path(data_dir) / SAMPLE_MARKER).is_file()
