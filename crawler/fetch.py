"""Downloading: one requests session, timeouts, size cap, retries, conditional GET.

Redirects are followed here by hand, one hop at a time, so that every hop is
normalised and checked (allowed domain, robots.txt, scheme, loop, hop count) before
it is requested. Every connection is checked against the address policy and every
request has one wall-clock deadline, headers included (crawler/connections.py).
A `route` sends every request to one loopback address with the page's real Host
header: that is how the bundled mirror is crawled under the partner sites' real URLs.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3

from .addresses import AddressPolicy, PrivateAddress
from .config import CrawlSettings
from .connections import Deadline, GuardedAdapter
from .urls import BadURL, normalize

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_RETRY_STATUS = {500, 502, 503, 504, 429}
MAX_RETRY_AFTER = 120.0


class FetchError(Exception):
    """A URL could not be fetched; `kind` names the failure for the run report."""

    kind = "fetch"


class FetchTimeout(FetchError):
    kind = "timeout"


class FetchConnectionError(FetchError):
    kind = "connection"


class TooLarge(FetchError):
    kind = "too_large"


class RedirectError(FetchError):
    kind = "redirect"


class UnsafeRedirect(RedirectError):
    """A redirect to a non-public address from a source that must stay public (SSRF)."""

    kind = "unsafe_redirect"


class UnsafeAddress(FetchError):
    """A connection to a non-public address from a source that must stay public."""

    kind = "unsafe_address"


class RobotsRedirect(RedirectError):
    """A redirect to a URL that robots.txt disallows."""

    kind = "robots_redirect"


class ServerError(FetchError):
    kind = "server_error"

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Response:
    url: str  # the final URL, after redirects (real, not routed)
    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes
    redirects: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Fetcher:
    """HTTP fetching with politeness left to the caller (the frontier decides when)."""

    def __init__(
        self,
        settings: CrawlSettings,
        route: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        allow_private: bool | None = None,
        assume_public: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        self.settings = settings
        self.route = urlsplit(route) if route else None
        # Connections to loopback/private/link-local addresses are refused unless allowed;
        # a route (the bundled mirror on 127.0.0.1) allows them unless told otherwise.
        self.allow_private = self.route is not None if allow_private is None else allow_private
        self.policy = AddressPolicy(self.allow_private, frozenset(assume_public))
        self.deadline = Deadline()
        self._sleep = sleep
        self.session = requests.Session()
        adapter = GuardedAdapter(self.policy, self.deadline)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = settings.user_agent
        self.session.headers["Accept-Language"] = "nl-BE,nl;q=0.9,en;q=0.5"

    def close(self) -> None:
        self.session.close()

    def _routed(self, url: str) -> tuple[str, dict[str, str]]:
        if self.route is None:
            return url, {}
        parts = urlsplit(url)
        routed = urlunsplit(
            (self.route.scheme, self.route.netloc, parts.path or "/", parts.query, "")
        )
        return routed, {"Host": parts.netloc}

    def _check_public(self, url: str) -> None:
        """Refuse a hop whose connection would go to a non-public address."""
        target = urlsplit(self._routed(url)[0])
        default_port = 443 if target.scheme == "https" else 80
        try:
            self.policy.check_name(target.hostname or "", target.port or default_port)
        except PrivateAddress as exc:
            raise UnsafeRedirect(f"redirect to a non-public address refused: {exc}") from exc

    def _get_once(self, url: str, headers: dict[str, str]) -> Response:
        target, extra = self._routed(url)
        started = time.monotonic()
        # One deadline for the whole request: connect, headers (the connection watches
        # it) and body (checked below, between reads).
        self.deadline.start(self.settings.timeout * 3)
        try:
            with self.session.get(
                target,
                headers={**headers, **extra},
                timeout=(min(10.0, self.settings.timeout), self.settings.timeout),
                stream=True,
                allow_redirects=False,  # ours: every hop is checked before it is requested
            ) as resp:
                if self.deadline.fired:  # the head was cut off: what came is not an answer
                    raise FetchTimeout(
                        f"no complete answer within {self.settings.timeout * 3:.0f}s"
                    )
                body = bytearray()
                # read1: at most one socket read per call, so a server that trickles a
                # byte at a time meets the deadline (iter_content would block until a
                # whole chunk came in); decoded output is capped per call (gzip bombs).
                while True:
                    chunk = resp.raw.read1(64 * 1024, decode_content=True)
                    if not chunk:
                        break
                    body += chunk
                    if len(body) > self.settings.max_bytes:
                        raise TooLarge(f"response larger than {self.settings.max_bytes} bytes")
                    if self.deadline.expired():
                        raise FetchTimeout("response took too long to download")
                return Response(
                    url,
                    resp.status_code,
                    resp.headers,
                    bytes(body),
                    elapsed=time.monotonic() - started,
                )
        except PrivateAddress as exc:
            raise UnsafeAddress(f"connection to a non-public address refused: {exc}") from exc
        except (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError) as exc:
            raise FetchTimeout(f"timeout: {exc}") from exc
        except (requests.exceptions.ConnectionError, urllib3.exceptions.HTTPError) as exc:
            if self.deadline.fired:
                raise FetchTimeout(
                    f"no complete answer within {self.settings.timeout * 3:.0f}s"
                ) from exc
            if isinstance(exc, urllib3.exceptions.DecodeError):
                raise FetchError(f"cannot decode response: {exc}") from exc
            if isinstance(exc, urllib3.exceptions.HTTPError):  # the body broke off
                raise FetchConnectionError(f"connection failed while reading: {exc}") from exc
            raise FetchConnectionError(f"connection failed: {exc}") from exc
        except requests.exceptions.ContentDecodingError as exc:
            raise FetchError(f"cannot decode response: {exc}") from exc
        except requests.exceptions.RequestException as exc:
            raise FetchError(f"request failed: {exc}") from exc

    def _get_with_retries(self, url: str, headers: dict[str, str]) -> Response:
        attempt = 0
        while True:
            try:
                resp = self._get_once(url, headers)
            except (FetchTimeout, FetchConnectionError) as exc:
                if attempt >= self.settings.retries:
                    raise
                wait = self.settings.backoff * (2**attempt)
                log.info("retrying %s in %.1fs after %s", url, wait, exc.kind)
            else:
                if resp.status not in _RETRY_STATUS:
                    return resp
                if attempt >= self.settings.retries:
                    raise ServerError(
                        f"HTTP {resp.status} after {attempt + 1} attempts", resp.status
                    )
                wait = self.settings.backoff * (2**attempt)
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                if retry_after is not None and resp.status in (429, 503):
                    if retry_after > MAX_RETRY_AFTER:
                        raise ServerError(
                            f"HTTP {resp.status} with Retry-After {retry_after:.0f}s", resp.status
                        )
                    wait = max(wait, retry_after)
                log.info("retrying %s in %.1fs after HTTP %s", url, wait, resp.status)
            attempt += 1
            self._sleep(wait)

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow: Callable[[str], bool] = lambda _url: True,
        robots: Callable[[str], bool] = lambda _url: True,
    ) -> Response:
        """GET `url`, following up to MAX_REDIRECTS redirects that `allow` accepts and
        `robots` (robots.txt of the target's host) permits."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        chain: list[str] = []
        current = url
        while True:
            resp = self._get_with_retries(current, headers)
            if resp.status not in (301, 302, 303, 307, 308):
                resp.redirects = chain
                return resp
            location = resp.headers.get("Location")
            if not location:
                raise RedirectError(f"HTTP {resp.status} without Location")
            try:
                nxt = normalize(location, base=current)
            except BadURL as exc:
                raise RedirectError(f"bad redirect target: {exc}") from exc
            chain.append(current)
            if nxt in chain:
                raise RedirectError(f"redirect loop at {nxt}")
            if len(chain) > MAX_REDIRECTS:
                raise RedirectError(f"more than {MAX_REDIRECTS} redirects")
            if not allow(nxt):
                raise RedirectError(f"redirect to a URL outside the source: {nxt}")
            if not self.allow_private:
                self._check_public(nxt)
            if not robots(nxt):
                raise RobotsRedirect(f"redirect to a URL robots.txt disallows: {nxt}")
            # A redirect is a new resource: validators of the old one do not apply.
            headers = {}
            current = nxt
