"""The one file lock of the project: an flock on a file in the data dir, which the OS
releases when the holding process dies (no stale lock files after a kill -9).

The crawl (`crawl.lock`, one crawl per data dir) and the index build (`write.lock`,
one writer per index) both take theirs here. It knows nothing of either.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

POLL_SECONDS = 0.2


class Locked(Exception):
    """Another process holds the lock."""


class FileLock:
    """An exclusive lock on `path`, waiting at most `wait` seconds for it. With
    `note_pid`, the holder writes its process id into the file (for people)."""

    def __init__(self, path: Path, *, wait: float = 0.0, note_pid: bool = False) -> None:
        self.path = Path(path)
        self.wait = wait
        self.note_pid = note_pid
        self._fd = -1

    def acquire(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise Locked(f"{self.path} is held by another process") from None
                time.sleep(POLL_SECONDS)
        if self.note_pid:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = -1

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
