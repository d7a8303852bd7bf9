"""A hostile site on 127.0.0.1, written for these tests (not the project's mirror): each
path is a behaviour, switched by the test while the server runs. Every handler ends by
itself within `MAX_HANDLER_SECONDS`, so no server thread outlives a test for long."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_HANDLER_SECONDS = 20.0

PAGE = (
    '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><main><h1>{title}</h1><p>{body}</p>{links}</main></body></html>"
)


def page(title: str, body: str = "", links: tuple[str, ...] = ()) -> bytes:
    anchors = "".join(f'<a href="{u}">{u}</a> ' for u in links)
    text = body or (
        f"Dit is de pagina {title} over jeugdraden, speelpleinen en het jeugdbeleid van "
        f"de gemeente, met genoeg eigen tekst ({title}) om als document te tellen."
    )
    return PAGE.format(title=title, body=text, links=anchors).encode("utf-8")


Handler = Callable[[BaseHTTPRequestHandler], None]


def send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", **headers: str) -> None:
    h.send_response(status)
    headers.setdefault("Content-Type", "text/html; charset=utf-8")
    for key, value in headers.items():
        h.send_header(key.replace("_", "-"), value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    try:
        h.wfile.write(body)
    except OSError:
        pass


def trickle_headers(h: BaseHTTPRequestHandler) -> None:
    """A status line, then one header byte every 200 ms: never a complete head."""
    ends = time.monotonic() + MAX_HANDLER_SECONDS
    try:
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        h.wfile.flush()
        while time.monotonic() < ends:
            h.wfile.write(b"X")
            h.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass
    h.close_connection = True


class HostileSite:
    """`routes` maps a path (query included when it has one) to a handler; anything
    else is 404. `requests` logs every path asked for."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[str] = []
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site.requests.append(self.path)
                handler = site.routes.get(self.path) or site.routes.get(self.path.split("?")[0])
                if handler is None:
                    send(self, 404, b"<h1>Niet gevonden</h1>")
                else:
                    handler(self)

            def log_message(self, *args: object) -> None:
                pass

        class _Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address) -> None:
                pass  # a crawler hanging up is what these tests provoke

        self._httpd = _Server((host, 0), _Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def static(self, path: str, body: bytes, status: int = 200, **headers: str) -> None:
        self.routes[path] = lambda h: send(h, status, body, **headers)


class ConnectionCounter:
    """A listening socket on every IPv4 address (0.0.0.0) that counts the connections
    it accepts and answers each with a small page: the "internal" service."""

    def __init__(self) -> None:
        self.accepted = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("0.0.0.0", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def _serve(self) -> None:
        body = page("Intern geheim")
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.accepted += 1
            with conn:
                conn.settimeout(1.0)
                try:
                    conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                except OSError:
                    pass

    def __enter__(self) -> ConnectionCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
