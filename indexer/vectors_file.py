"""The vector file format shared by `vectors_write.py` and `vectors_read.py`.

One file per Whoosh segment, `vectors-<segment id>.kbv`: 8-byte magic, 8-byte header
length, a JSON header naming each array's dtype, offset and length, then the arrays,
each 8-byte aligned. The arrays are named `field.name` (`body.docs`, `body.positions`).
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np

from .schema import FIELD_BOOSTS

SCORED_FIELDS = tuple(FIELD_BOOSTS)
POSITION_FIELDS = frozenset({"body"})
# Fields whose documents also get a short list of their own terms (for feedback).
FORWARD_FIELDS = frozenset({"body"})
FORWARD_TERMS = 40
MAGIC = b"KBVEC001"
# Version 2 added the forward lists; `vectors_write.write_missing` rewrites older files.
VERSION = 2
PREFIX = "vectors-"
SUFFIX = ".kbv"


class VectorFileError(ValueError):
    """A vector file is missing parts or is not one of ours."""


def vector_file(segment_id: str) -> str:
    return f"{PREFIX}{segment_id}{SUFFIX}"


def write(
    path: Path, doc_count: int, arrays: dict[str, np.ndarray], version: int = VERSION
) -> None:
    """Write one segment's arrays to `path` (through a temporary file, fsync'ed)."""
    header: dict = {"version": version, "doc_count": doc_count, "arrays": {}}
    offset = 0
    for name, arr in arrays.items():
        header["arrays"][name] = [arr.dtype.str, offset, int(arr.size)]
        offset += (arr.nbytes + 7) // 8 * 8
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (-(len(raw) + 16) % 8)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(MAGIC + struct.pack("<Q", len(raw)) + raw)
        for arr in arrays.values():
            data = np.ascontiguousarray(arr).tobytes()
            fh.write(data + b"\0" * (-len(data) % 8))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_header(mm: np.ndarray, path: Path) -> tuple[int, dict, int]:
    """(version, header, offset of the first array) of a mapped vector file."""
    if bytes(mm[:8]) != MAGIC:
        raise VectorFileError(f"{path.name} is not a vector file")
    (size,) = struct.unpack("<Q", bytes(mm[8:16]))
    header = json.loads(bytes(mm[16 : 16 + size]).decode("utf-8"))
    return int(header.get("version", 1)), header, 16 + size


def read(path: Path) -> tuple[int, dict[str, np.ndarray]]:
    """(document count, arrays as views of the memory-mapped file)."""
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    _, header, base = read_header(mm, path)
    arrays = {}
    for name, (dtype, offset, count) in header["arrays"].items():
        dt = np.dtype(dtype)
        start = base + offset
        end = start + count * dt.itemsize
        if end > len(mm):
            raise VectorFileError(f"{path.name} is truncated")
        arrays[name] = mm[start:end].view(dt)
    return int(header["doc_count"]), arrays


def is_current(path: Path) -> bool:
    """Whether `path` is a readable vector file of this VERSION."""
    try:
        return read_header(np.memmap(path, dtype=np.uint8, mode="r"), path)[0] >= VERSION
    except (OSError, ValueError, KeyError, struct.error):
        return False
