"""One open index version per process, and the swap to a newer one.

An `IndexVersion` is everything derived from one build folder: the Whoosh searcher, the
facet bit sets, the ranking arrays, the sort orders, the duplicate groups and (when the
build has them) the passage embeddings. Opening one reads every document's columns, so
it is reused until the `CURRENT` pointer names another build; the pointer is checked at
most once a second, so a new build is picked up without a restart. A request holds its
version for its whole duration: the old version closes its files only when the last
reader lets go.
"""

from __future__ import annotations

import logging
import pickle
import struct
import threading
import time
from functools import cached_property
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.index import EmptyIndexError
from whoosh.index import IndexError as WhooshIndexError

from . import integrity
from .autocomplete import Completer
from .bitsets import DocBits
from .build import BuildInfo, IndexMissing, current_build
from .collapse import Groups
from .ranking import Ranker
from .schema import FACET_FIELDS, MULTI_VALUED
from .search_types import IndexCorrupt
from .semantic import open_dense
from .suggest import VOCABULARY_FILE, Suggester
from .vectors_file import VectorFileError
from .vectors_read import VectorIndex
from .whoosh_internals import InternalsError

log = logging.getLogger(__name__)

RECHECK_SECONDS = 1.0

# What a damaged index folder raises on open: Whoosh's own IndexError (a bad TOC,
# "created on different architecture"), truncated or garbled files (struct, pickle).
UNREADABLE = (
    EmptyIndexError,
    WhooshIndexError,
    OSError,
    ValueError,
    EOFError,
    KeyError,
    struct.error,
    pickle.UnpicklingError,
    VectorFileError,
    InternalsError,
)


class IndexVersion:
    """One open build: the searcher and what is derived from it."""

    def __init__(self, build: Path) -> None:
        self.build = build
        ix = whoosh_index.open_dir(str(build))
        self.searcher = ix.searcher()
        try:
            self.info = BuildInfo.read(build)
            self.bits = DocBits(self.searcher, FACET_FIELDS, MULTI_VALUED)
            vectors = VectorIndex(build, self.searcher)
            # The arrays were read from Whoosh's private layout: a sample must agree
            # with its public API before anything is ranked on them.
            vectors.check()
            self.ranker = Ranker(vectors)
            self.ranks = Ranks(self.searcher)
            self.groups = Groups.read(build, self.searcher, self.ranks.ids)
            self.dense = open_dense(build, self.ranks.ids)
        except BaseException:
            self.searcher.close()
            raise

    @property
    def n(self) -> int:
        return self.ranker.n

    @cached_property
    def suggester(self) -> Suggester:
        return Suggester.from_file(self.build / VOCABULARY_FILE)

    @cached_property
    def completer(self) -> Completer:
        """Suggestions as you type, built on first use (about half a second at 10k)."""
        return Completer.from_searcher(
            self.searcher, self.bits.facets, self.build / VOCABULARY_FILE
        )

    def __del__(self) -> None:
        searcher = getattr(self, "searcher", None)
        if searcher is not None and not searcher.is_closed:
            try:
                searcher.close()
            except Exception:  # noqa: BLE001 (already half gone at interpreter exit)
                pass


class Versions:
    """The version of a data dir's index to answer from, swapped when a build lands."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._lock = threading.Lock()
        self._version: IndexVersion | None = None
        self._checked = 0.0

    def current(self) -> IndexVersion:
        """The version to answer from; hold on to it (not to its parts) while reading."""
        now = time.monotonic()
        version = self._version
        if version is not None and now - self._checked < RECHECK_SECONDS:
            return version
        with self._lock:
            self._checked = now
            build = current_build(self.data_dir)
            if build is None:
                raise IndexMissing(
                    f"no index in {self.data_dir}: run `kennisbank crawl` and `kennisbank index`"
                )
            if self._version is None or build != self._version.build:
                integrity.check(build)  # CRC-32 of every file: a few GB/s
                try:
                    version = IndexVersion(build)
                except UNREADABLE as exc:
                    raise IndexCorrupt(f"{build.name} cannot be opened: {exc}") from exc
                # The old version closes itself once no request holds it any more.
                self._version = version
                log.info("serving index %s (%d documents)", build.name, version.info.documents)
            return self._version

    def close(self) -> None:
        """Close the open version's files now (a test or a tool that is done)."""
        with self._lock:
            version, self._version = self._version, None
        if version is not None and not version.searcher.is_closed:
            version.searcher.close()


class Ranks:
    """Sort orders of one searcher's documents, as a rank per document number: by id
    (what breaks ties of equal scores, so a repeated search gives the same order) and
    newest first (dates descending, undated last, ties by id). Also every document's
    id, by document number."""

    def __init__(self, searcher) -> None:
        reader = searcher.reader()
        n = reader.doc_count_all()
        self.ids = _column(reader, "id", n)
        dates = _column(reader, "date", n)
        self.by_id = _rank(np.argsort(np.asarray(self.ids, dtype=str), kind="stable"))
        # Undated ("") sorts below every date, so it comes last when reversed.
        date_codes = np.unique(np.asarray(dates, dtype=str), return_inverse=True)[1]
        self.newest_first = _rank(np.lexsort((self.by_id, -date_codes)))


def _column(reader, fieldname: str, n: int) -> list[str]:
    """A sortable column's value of every document, read per segment: a segment written
    before the field was sortable has no column, and whoosh-reloaded's multi-segment
    column reader then fails (IndexError) instead of reading around it."""
    out: list[str] = []
    for leaf, offset in reader.leaf_readers():
        assert offset == len(out)
        if leaf.has_column(fieldname):
            column = leaf.column_reader(fieldname)
            values = (column[docnum] for docnum in range(leaf.doc_count_all()))
        else:  # a segment written before the field was sortable
            values = (
                leaf.stored_fields(docnum).get(fieldname) for docnum in range(leaf.doc_count_all())
            )
        for value in values:
            out.append(value.decode("utf-8") if isinstance(value, bytes) else (value or ""))
    assert len(out) == n
    return out


def _rank(order: np.ndarray) -> np.ndarray:
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank
