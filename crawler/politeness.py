"""Per-host politeness shared by every source of a run: one request at a time per
host, and a pause of the host's delay between the end of one request and the start
of the next.

One `HostGate` belongs to one crawl run and is passed to every source crawl (no
module-level state), so two sources that share a host still queue for it, while
different hosts are crawled concurrently.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class _Host:
    __slots__ = ("lock", "ready")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ready = 0.0  # time.monotonic() from which the host may be asked again


class HostGate:
    """Thread-safe per-host slots: `with gate.slot(host, delay): <one request>`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}

    def _host(self, host: str) -> _Host:
        with self._lock:
            return self._hosts.setdefault(host.lower(), _Host())

    @contextmanager
    def slot(self, host: str, delay: float) -> Iterator[None]:
        """Hold `host` for one request (with its retries and redirects). The next
        request to the host starts no sooner than `delay` seconds after this one ends."""
        entry = self._host(host)
        with entry.lock:
            wait = entry.ready - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                yield
            finally:
                entry.ready = time.monotonic() + delay
