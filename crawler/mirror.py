"""A loopback HTTP server for the bundled sample mirror (`corpus/sites/<host>/`).

It routes by the Host header (`www.` stripped) so the crawler can fetch the partner
sites' real URLs from local files; a `_redirects` file per site (`OLD NEW STATUS` per
line) gives redirects. Tests add fault injection through `MirrorServer.override`.
Binds to 127.0.0.1 only.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

# An override answers a request instead of the files: (handler) -> True if it answered.
Override = Callable[[BaseHTTPRequestHandler], bool]


@dataclass(frozen=True)
class LoggedRequest:
    host: str
    path: str  # path with query
    headers: dict[str, str]


def resolve_file(site_dir: Path, path: str) -> Path | None:
    """The file for a URL path: exact file, `path.html`, or `path/index.html`."""
    rel = unquote(path).lstrip("/")
    root = site_dir.resolve()
    candidates = [site_dir / rel] if rel and not rel.endswith("/") else []
    if rel and not rel.endswith("/"):
        candidates.append(site_dir / f"{rel}.html")
    candidates.append(site_dir / rel / "index.html")
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except OSError:
            continue
        if resolved.is_file() and resolved.is_relative_to(root):
            return resolved
    return None


def _load_redirects(site_dir: Path) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    path = site_dir / "_redirects"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2 and not line.lstrip().startswith("#"):
                out[parts[0]] = (parts[1], int(parts[2]) if len(parts) > 2 else 301)
    return out


class _Handler(BaseHTTPRequestHandler):
    server: _MirrorHTTPServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, each keep-alive
    # response then waits ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        log.debug("mirror: " + format, *args)

    @property
    def site_host(self) -> str:
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        return host.removeprefix("www.")

    def send_body(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802 (http.server naming)
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        mirror = self.server.mirror
        mirror.record(LoggedRequest(self.site_host, self.path, dict(self.headers.items())))
        for override in list(mirror.overrides):
            if override(self):
                return
        path = urlsplit(self.path).path or "/"
        site_dir = mirror.root / self.site_host
        if not site_dir.is_dir():
            self.send_body(404, b"unknown host", "text/plain")
            return
        redirect = _load_redirects(site_dir).get(path)
        if redirect is not None:
            self.send_body(redirect[1], b"", "text/html", {"Location": redirect[0]})
            return
        target = resolve_file(site_dir, path)
        if target is None or target.name.startswith("_"):
            self.send_body(404, b"<h1>Pagina niet gevonden</h1>", "text/html; charset=utf-8")
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix == ".txt" or target.suffix == ".xml":
            ctype += "; charset=utf-8"
        self.send_body(200, target.read_bytes(), ctype)


class _MirrorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    mirror: MirrorServer


class MirrorServer:
    """Serve `root` (a folder of `<host>/` folders) on 127.0.0.1 in a background thread."""

    def __init__(self, root: Path, port: int = 0) -> None:
        self.root = Path(root)
        self.overrides: list[Override] = []
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd = _MirrorHTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.mirror = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def record(self, request: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def override(self, func: Override) -> None:
        self.overrides.append(func)

    def paths_requested(self, host: str) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests if r.host == host.removeprefix("www.")]

    def __enter__(self) -> MirrorServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
