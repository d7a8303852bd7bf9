"""URL hygiene: normalisation, tracking-parameter removal and trap guards.

Every URL the crawler stores or queues goes through `normalize()`, so one page has
one key in the crawl store whatever link led to it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

MAX_URL_LENGTH = 2000

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_hsenc|_hsmkt|igshid|yclid|ref_src"
    r"|phpsessid|jsessionid|sid|sessionid|session_id|aspsessionid\w*)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Calendar-like parameters whose values walk forever (?month=2031-07, ?jaar=2099).
_CALENDAR = re.compile(r"^(date|datum|day|dag|month|maand|year|jaar|week|cal\w*|agenda)$", re.I)


class BadURL(ValueError):
    """A URL the crawler will not fetch (scheme, length, syntax)."""


def remove_dot_segments(path: str) -> str:
    """RFC 3986, section 5.2.4: `/a/b/../c/./d` is `/a/c/d`. Never above the root."""
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                out.append("")
        elif seg == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(seg)
    result = "/".join(out)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def _clean_path(path: str) -> str:
    # Decode what needs no encoding, encode what must be, so %7E and ~ are one URL. Dot
    # segments are resolved after decoding: `/x/%2e%2e/private` is `/private`, which is
    # what a server (and urllib3) make of it, so robots.txt is checked on that path.
    path = quote(remove_dot_segments(unquote(path)), safe="/:@!$&'()*+,;=-._~")
    return path or "/"


def normalize(url: str, base: str | None = None) -> str:
    """Absolute, canonical form of `url` (resolved against `base` if given).

    Lowercases scheme and host, drops default ports, fragments and tracking or
    session parameters, sorts the query, and keeps the path's trailing slash as the
    site gave it (sites differ on whether /a and /a/ are the same page).
    """
    url = url.strip()
    try:
        if base is not None:
            url = urljoin(base, url)
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"malformed URL: {url[:200]!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BadURL(f"unsupported scheme {scheme!r}")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise BadURL(f"URL without host: {url[:200]!r}")
    try:
        host.encode("idna")
    except UnicodeError as exc:
        raise BadURL(f"bad host name in {url[:200]!r}") from exc
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    )
    out = urlunsplit((scheme, netloc, _clean_path(parts.path), urlencode(query), ""))
    if len(out) > MAX_URL_LENGTH:
        raise BadURL(f"URL longer than {MAX_URL_LENGTH} characters")
    return out


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def looks_like_trap(url: str) -> str | None:
    """Why this URL looks like a crawler trap, or None.

    Repeated path segments (/a/b/a/b/a/b), very deep paths and calendar-style
    query parameters are the usual ways a site generates infinite URL spaces.
    """
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > 15:
        return "path too deep"
    counts: dict[str, int] = {}
    for seg in segments:
        counts[seg] = counts.get(seg, 0) + 1
        if counts[seg] >= 3:
            return "repeated path segment"
    for key, _ in parse_qsl(parts.query, keep_blank_values=True):
        if _CALENDAR.match(key):
            return "calendar-like query"
    return None
