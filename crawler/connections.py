"""The connections the crawler opens: the address check at connect time, and one
wall-clock deadline per request that covers the response headers too.

requests and urllib3 time out per socket read: a server that sends one header byte
every few seconds never trips that, and held the crawl (and its lock) for good. Here
the connection arms a timer for what is left of the request's deadline while it waits
for the response headers; when it fires, the socket is shut down, the read returns,
and the fetcher reports a timeout. The body is read by the fetcher against the same
deadline.

Every new connection is checked against the fetcher's `AddressPolicy` twice: the
name's addresses before connecting (nothing is sent to a refused address) and the
peer address after (a DNS answer that changed in between). This holds for links,
redirects, robots.txt and sitemaps alike.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .addresses import AddressPolicy


class _Request:
    """The deadline of one request, and whether it was cut off."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.fired = False


class Deadline:
    """The wall-clock end of the request in flight, per thread (a fetcher serves one
    source's thread)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _current(self) -> _Request | None:
        return getattr(self._local, "request", None)

    def start(self, seconds: float) -> None:
        self._local.request = _Request(time.monotonic() + seconds)

    @property
    def fired(self) -> bool:
        request = self._current()
        return request is not None and request.fired

    def expired(self) -> bool:
        request = self._current()
        return request is not None and time.monotonic() > request.at

    @contextmanager
    def watching(self, sock: socket.socket | None) -> Iterator[None]:
        """Shut `sock` down if the deadline passes while the block runs."""
        request = self._current()
        if request is None or sock is None:
            yield
            return

        def cut() -> None:
            request.fired = True
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        timer = threading.Timer(max(0.0, request.at - time.monotonic()), cut)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()


class _Guarded:
    """Mixed into urllib3's connections: the policy and deadline of one fetcher."""

    policy: AddressPolicy
    deadline: Deadline

    def _new_conn(self) -> socket.socket:
        self.policy.check_name(self._dns_host, self.port)
        sock = super()._new_conn()
        try:
            self.policy.check_peer(sock)
        except BaseException:
            sock.close()
            raise
        return sock

    def getresponse(self):
        with self.deadline.watching(self.sock):
            return super().getresponse()


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections apply `policy` and `deadline`."""

    def __init__(self, policy: AddressPolicy, deadline: Deadline) -> None:
        self.policy = policy
        self.deadline = deadline
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        bound = {"policy": self.policy, "deadline": self.deadline}
        http = type("GuardedHTTPConnection", (_Guarded, HTTPConnection), bound)
        https = type("GuardedHTTPSConnection", (_Guarded, HTTPSConnection), bound)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }
