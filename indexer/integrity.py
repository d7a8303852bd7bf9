"""Index damage: detected, named in one message, and repaired by the next build.

Every build writes `checksums.json` last: the size and CRC-32 of each of its files.
`damage(build)` compares the folder with it (a build from before checksums gets a
verification pass instead: every stored document and every posting list read once)
and says what is wrong, or None. CRC-32 finds damage (truncation, zeroed blocks, a
half-copied folder), not tampering: the index is written by us, for us.

Where it is used:
- `kennisbank index` checks the current build first and rebuilds by itself when it
  is damaged (indexer/build.py);
- the engine checks a build in full when it opens it, and `kennisbank status` and
  `kennisbank serve` on start (`check`): CRC-32 runs at several GB/s, and the files then
  sit in the page cache the searches read from anyway;
- every read of the served index runs under `GuardedLock`: an unexpected error while
  reading is checked against the files, and when they are damaged the reader gets
  `IndexDamaged` ("index damaged: run `kennisbank index --rebuild`") instead of a
  traceback or a 500; when they are not, the error is a bug and goes up as it is.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import zlib
from pathlib import Path

from .vectors_file import PREFIX as VECTOR_PREFIX

log = logging.getLogger(__name__)

CHECKSUMS = "checksums.json"
# Files that check themselves and are not in the checksums: the ranking arrays are
# recomputed from the postings when their file is missing, renewed when it is of an
# older version, and refused with a clear error when damaged (indexer/vectors_file.py).
SELF_CHECKED = (VECTOR_PREFIX,)
MESSAGE = "index damaged: run `kennisbank index --rebuild`"
_CHUNK = 1024 * 1024


class IndexDamaged(Exception):
    """The index on disk is damaged or cannot be opened."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{MESSAGE} ({detail})" if detail else MESSAGE)
        self.detail = detail


def _crc(path: Path) -> int:
    crc = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def _index_files(build: Path) -> list[Path]:
    return sorted(
        p
        for p in build.iterdir()
        if p.is_file()
        and p.name != CHECKSUMS
        and "LOCK" not in p.name
        and not p.name.startswith((".", *SELF_CHECKED))
    )


def write_checksums(build: Path) -> None:
    """Record size and CRC-32 of every file of a finished build (written last)."""
    sums = {p.name: [p.stat().st_size, _crc(p)] for p in _index_files(build)}
    # Through a new file and a rename: an update's folder starts as hard links to the
    # served build, and writing through one would change that build's checksums.
    tmp = build / f".{CHECKSUMS}.tmp"
    tmp.write_text(json.dumps(sums, sort_keys=True), encoding="utf-8")
    os.replace(tmp, build / CHECKSUMS)


def damage(build: Path, *, full: bool = True) -> str | None:
    """What is wrong with the files of `build`, or None. `full=False` compares sizes
    only (cheap, for every open); `full` reads every byte."""
    try:
        sums = json.loads((build / CHECKSUMS).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _verification_pass(build) if full else None
    except (OSError, ValueError) as exc:
        return f"{CHECKSUMS} unreadable: {exc}"
    if not isinstance(sums, dict):
        return f"{CHECKSUMS} unreadable"
    for name, expected in sorted(sums.items()):
        path = build / name
        try:
            size = path.stat().st_size
        except OSError:
            return f"{name} is missing"
        if size != expected[0]:
            return f"{name} has {size} bytes instead of {expected[0]}"
        if full:
            try:
                if _crc(path) != expected[1]:
                    return f"{name} does not match its checksum"
            except OSError as exc:
                return f"{name} unreadable: {exc}"
    return None


def _verification_pass(build: Path) -> str | None:
    """For a build without checksums: read everything once, through Whoosh."""
    from whoosh import index as whoosh_index

    for name in ("manifest.json", "build.json"):
        try:
            json.loads((build / name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return f"{name} unreadable: {exc}"
    try:
        ix = whoosh_index.open_dir(str(build))
        with ix.reader() as reader:
            for _ in reader.all_stored_fields():
                pass
            for fieldname, text in reader.all_terms():
                reader.postings(fieldname, text).all_ids()
    except Exception as exc:  # noqa: BLE001 (whatever a damaged file raises: it is damage)
        return f"{type(exc).__name__}: {exc}"
    return None


def check(build: Path | None, *, full: bool = True) -> None:
    """Raise IndexDamaged when the build's files are damaged."""
    if build is None:
        return
    problem = damage(build, full=full)
    if problem:
        raise IndexDamaged(f"{build.name}: {problem}")


class GuardedLock:
    """The engine's read lock (a reentrant lock) that also turns read errors caused by
    damaged files into IndexDamaged. `expected` exceptions (a bad query, no index) go
    up untouched and never trigger a check."""

    def __init__(self, data_dir: Path, expected: tuple[type[BaseException], ...]) -> None:
        self._lock = threading.RLock()
        self.data_dir = Path(data_dir)
        self.expected = (*expected, IndexDamaged)

    def __enter__(self) -> GuardedLock:
        self._lock.acquire()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc is None or not isinstance(exc, Exception) or isinstance(exc, self.expected):
                return False
            from .build import current_build

            build = current_build(self.data_dir)
            problem = damage(build) if build is not None else None
            if problem:
                log.error("index %s is damaged: %s (on %r)", build.name, problem, exc)
                raise IndexDamaged(f"{build.name}: {problem}") from exc
            return False
        finally:
            self._lock.release()
