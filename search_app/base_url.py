"""The public base URL: where absolute links (OpenSearch, Atom feeds, redirects) point.

A request's Host header is the client's to choose; reflecting it in a feed or a
redirect lets anyone who can reach the server (or poison a cache in front of it) make
the service hand out links to their own site. So the WSGI environ's scheme, host and
path prefix are set from one configured base URL — `kennisbank serve --base-url`, or
$KENNISBANK_BASE_URL, else the address the server listens on — before Flask sees the
request, and every absolute URL Flask and Werkzeug build comes from it.
"""

from __future__ import annotations

import os
from urllib.parse import SplitResult, urlsplit

BASE_URL_ENV = "KENNISBANK_BASE_URL"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def parse_base_url(value: str) -> SplitResult:
    """The parts of a usable base URL; ValueError when it is not one."""
    parts = urlsplit(value.strip())
    try:
        parts.port  # noqa: B018 (a bad port raises here)
    except ValueError as exc:
        raise ValueError(f"base URL has a bad port: {value!r}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base URL must be http(s)://host[:port][/path], not {value!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"base URL may not carry a query, fragment or credentials: {value!r}")
    return parts


def configured_base_url(value: str | None = None) -> str | None:
    """--base-url, else $KENNISBANK_BASE_URL, else None."""
    return value or os.environ.get(BASE_URL_ENV) or None


class PublicBaseURL:
    """WSGI middleware: the request's scheme, host and script name from the base URL."""

    def __init__(self, wsgi_app, base_url: str) -> None:
        self.wsgi_app = wsgi_app
        parts = parse_base_url(base_url)
        self.scheme, self.netloc = parts.scheme, parts.netloc.lower()
        self.prefix = parts.path.rstrip("/")
        self.server_name = parts.hostname or ""
        self.server_port = str(parts.port or (443 if parts.scheme == "https" else 80))

    def __call__(self, environ, start_response):
        environ["wsgi.url_scheme"] = self.scheme
        environ["HTTP_HOST"] = self.netloc
        environ["SERVER_NAME"] = self.server_name
        environ["SERVER_PORT"] = self.server_port
        environ["SCRIPT_NAME"] = self.prefix
        environ.pop("HTTP_X_FORWARDED_HOST", None)
        return self.wsgi_app(environ, start_response)
