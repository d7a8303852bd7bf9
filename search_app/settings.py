"""Settings with their defaults, in one place: data dir, bundled corpus, limits."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "KENNISBANK_DATA"
DEFAULT_DATA_DIR = "kennisbank-data"
REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO_ROOT / "corpus"
SOURCES_FILE = CORPUS_DIR / "sources.toml"
SAMPLE_SITES = CORPUS_DIR / "sites"
SAMPLE_MARKER = "sample-corpus.json"

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
MAX_PAGE = 1000
MAX_FILTER_VALUES = 20
MAX_FILTER_CHARS = 200
YEAR_MIN, YEAR_MAX = 1900, 2100


def resolve_data_dir(value: str | os.PathLike | None) -> Path:
    """--data-dir, else $KENNISBANK_DATA, else ./kennisbank-data."""
    if value:
        return Path(value).expanduser().resolve()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return (Path.cwd() / DEFAULT_DATA_DIR).resolve()


def is_sample(data_dir: Path) -> bool:
    return (Path(data_dir) / SAMPLE_MARKER).is_file()
