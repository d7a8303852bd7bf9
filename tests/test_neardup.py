"""Near-duplicate sketches are stable: the same text gives the same shingle hashes in
every process (they are kept per build and compared with later builds)."""

from __future__ import annotations

import os
import subprocess
import sys

from indexer import neardup

TEXT = " ".join(f"zin{i % 37} over jeugdwerk in de gemeente nummer {i}" for i in range(40))


def _sketch_in_child(seed: str) -> str:
    code = "import sys; from indexer import neardup; print(neardup.sketch(sys.argv[1]))"
    env = os.environ | {"PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-c", code, TEXT], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_sketch_is_the_same_in_every_process():
    assert _sketch_in_child("1") == _sketch_in_child("2") == str(neardup.sketch(TEXT))


def test_shingle_hash_is_blake2b_of_the_word_ids():
    # Pinned: a change of hash function must come with a new sketch-file header.
    hashes = neardup.shingle_hashes("een twee drie vier vijf")
    assert hashes == {0x154A2DC666E65C73}


def test_sketch_file_from_another_hash_reads_as_empty(tmp_path):
    sk = neardup.sketch(TEXT)
    path = tmp_path / "sketches.bin"
    neardup.save_sketches(path, {"a" * 16: ("b" * 64, sk)})
    assert neardup.load_sketches(path) == {"a" * 16: ("b" * 64, sk)}
    path.write_bytes(path.read_bytes()[neardup._RECORD.size :])  # no header: an old file
    assert neardup.load_sketches(path) == {}
