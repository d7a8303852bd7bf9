"""The SSRF guard: which network addresses a crawl of a public source may be sent to.

A partner site can redirect anywhere, and a name inside an allowed domain can resolve
anywhere; neither may make the crawler request a loopback, private, link-local
(169.254.169.254: cloud metadata) or otherwise non-global address. Sources that
really live on such an address (the bundled sample mirror on 127.0.0.1, an intranet
site) say so with `allow_private_addresses = true` in sources.toml, or the crawl run
allows it (a `route` to the mirror does by default).
"""

from __future__ import annotations

import ipaddress
import socket


class PrivateAddress(ValueError):
    """The host is, or resolves to, an address a public source may not reach."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_public(host: str, port: int) -> None:
    """Raise PrivateAddress unless every address `host` resolves to is global.

    A name that does not resolve passes: the request itself will fail. (A DNS answer
    that changes between this check and the connection is not caught here; the
    allowed-domains list of the source is the other fence.)"""
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return
    for info in infos:
        address = str(info[4][0])
        if not _is_public(address):
            raise PrivateAddress(f"{host} is a non-public address ({address})")
