"""robots.txt per host, parsed with protego (RFC 9309: wildcards, longest match, Allow).

A robots.txt that answers 404 (or any 4xx) allows everything; one that answers 5xx
or cannot be fetched means "do not crawl this host now" (RFC 9309, section 2.3.1).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from protego import Protego

from .fetch import Fetcher, FetchError, UnsafeAddress
from .politeness import HostGate
from .urls import host_of

log = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks parsers to handle at least 500 KiB


@dataclass
class HostRules:
    host_url: str  # scheme://host[:port]
    available: bool  # False: robots.txt answered 5xx or failed; crawl nothing now
    parser: Protego | None = None
    sitemaps: list[str] = field(default_factory=list)
    reason: str = ""
    # The host is on an address this source may not reach (crawler/addresses.py):
    # its URLs are refused one by one, the host is not "down".
    unsafe: bool = False

    def can_fetch(self, url: str, user_agent: str) -> bool:
        if not self.available:
            return False
        if self.parser is None:
            return True
        return self.parser.can_fetch(url, user_agent)

    def crawl_delay(self, user_agent: str) -> float:
        if self.parser is None:
            return 0.0
        return float(self.parser.crawl_delay(user_agent) or 0.0)


class RobotsCache:
    """robots.txt rules per scheme+host, fetched once per crawl run and shared by the
    sources of the run (thread-safe; each host's file is fetched once, in the host's
    politeness slot)."""

    def __init__(self, gate: HostGate | None = None) -> None:
        self.gate = gate or HostGate()
        self._lock = threading.Lock()
        self._rules: dict[str, HostRules] = {}
        self._fetching: dict[str, threading.Lock] = {}

    def rules_for(
        self, url: str, fetcher: Fetcher, delay: float = 0.0, *, in_slot: bool = False
    ) -> HostRules:
        """The rules for `url`'s host, fetching robots.txt with `fetcher` if needed;
        `delay` is the politeness pause kept after that fetch. `in_slot`: the caller
        already holds a politeness slot (a redirect hop checked mid-request), so the
        robots.txt fetch does not wait for one (the slots are not reentrant)."""
        scheme, rest = url.split("://", 1)
        host_url = f"{scheme}://{rest.split('/', 1)[0]}"
        with self._lock:
            rules = self._rules.get(host_url)
            if rules is not None:
                return rules
            host_lock = self._fetching.setdefault(host_url, threading.Lock())
        with host_lock:
            with self._lock:
                rules = self._rules.get(host_url)
            if rules is None:
                if in_slot:
                    rules = self._fetch(host_url, fetcher)
                else:
                    with self.gate.slot(host_of(url), delay):
                        rules = self._fetch(host_url, fetcher)
                with self._lock:
                    self._rules[host_url] = rules
        return rules

    @staticmethod
    def _fetch(host_url: str, fetcher: Fetcher) -> HostRules:
        robots_url = host_url + "/robots.txt"
        try:
            resp = fetcher.get(robots_url)
        except UnsafeAddress as exc:
            return HostRules(host_url, available=False, reason=str(exc), unsafe=True)
        except FetchError as exc:
            log.warning("robots.txt of %s unavailable (%s): not crawling it now", host_url, exc)
            return HostRules(host_url, available=False, reason=f"robots.txt unavailable: {exc}")
        if resp.status >= 500:
            return HostRules(host_url, available=False, reason=f"robots.txt HTTP {resp.status}")
        if resp.status >= 400:
            return HostRules(host_url, available=True)
        text = resp.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        parser = Protego.parse(text)
        return HostRules(host_url, available=True, parser=parser, sitemaps=list(parser.sitemaps))
