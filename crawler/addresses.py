"""The SSRF guard: which network addresses a crawl of a public source may be sent to.

A partner site can link or redirect anywhere, and a name inside an allowed domain can
resolve anywhere; neither may make the crawler connect to a loopback, private,
link-local (169.254.169.254: cloud metadata), unspecified (0.0.0.0) or otherwise
non-global address. The check is made on every connection (crawler/connections.py):
the name's addresses before connecting, and the address actually connected to after
(so a DNS answer that changes in between, DNS rebinding, is caught too). Every
spelling of an address (decimal `2130706433`, octal `0177.0.0.1`, `[::ffff:127.0.0.1]`)
ends up as the same resolved address, so it meets the same check.

Sources that really live on such an address (the bundled sample mirror on 127.0.0.1,
an intranet site) say so with `allow_private_addresses = true` in sources.toml, or the
crawl run allows it (a `route` to the mirror does by default).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass


class PrivateAddress(ValueError):
    """The host is, or resolves to, an address a public source may not reach."""


def is_public(address: str) -> bool:
    """Whether an IP address (v4 or v6, as text) is a global unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class AddressPolicy:
    """Where one fetcher may connect. `allow_private` lifts the check; `assume_public`
    names (address, port) pairs that count as public for this run: how a test stands a
    loopback server in for a public site while every other local port stays refused."""

    allow_private: bool = False
    assume_public: frozenset[tuple[str, int]] = frozenset()

    def allows(self, address: str, port: int) -> bool:
        if self.allow_private or is_public(address):
            return True
        return (address.split("%", 1)[0], port) in self.assume_public

    def check_name(self, host: str, port: int) -> None:
        """Raise PrivateAddress unless every address `host` resolves to is allowed.
        A name that does not resolve passes: the connection itself will fail."""
        if self.allow_private:
            return
        host = host.strip("[]")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            return
        for info in infos:
            address = str(info[4][0])
            if not self.allows(address, port):
                raise PrivateAddress(f"{host} is a non-public address ({address})")

    def check_peer(self, sock: socket.socket) -> None:
        """Raise PrivateAddress unless the address `sock` is connected to is allowed."""
        if self.allow_private:
            return
        peer = sock.getpeername()
        if not self.allows(str(peer[0]), int(peer[1])):
            raise PrivateAddress(f"connected to a non-public address ({peer[0]})")


def check_public(host: str, port: int) -> None:
    """Raise PrivateAddress unless every address `host` resolves to is global."""
    AddressPolicy().check_name(host, port)
