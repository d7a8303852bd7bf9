"""`kennisbank serve` in a child process on 127.0.0.1, for the benchmarks that load it."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START_TIMEOUT = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The real app, served by waitress in a child process; stopped (SIGTERM) on exit,
    its output kept in `output`."""

    def __init__(
        self,
        data_dir: Path,
        workers: int,
        threads: int,
        checkout: Path | None = None,
        env: dict[str, str | None] | None = None,
    ) -> None:
        """`checkout`: serve the code of another checkout of the project (its folder
        first on the import path), to compare two versions side by side. `env`: extra
        environment variables (e.g. KENNISBANK_DENSE=0: lexical-only)."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "search_app.cli", "serve", "--data-dir", str(data_dir)]
        cmd += ["--port", str(self.port), "--workers", str(workers), "--threads", str(threads)]
        extra = dict(env or {})
        if checkout is not None:
            extra["PYTHONPATH"] = str(Path(checkout).resolve())
        full_env = None
        if extra:  # a value None takes the variable out
            full_env = {k: v for k, v in (os.environ | extra).items() if v is not None}
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            cmd, stdout=self.log, stderr=subprocess.STDOUT, env=full_env, cwd=checkout
        )
        self.output = ""

    def get(self, path: str, timeout: float = 30) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def __enter__(self) -> Server:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"the server stopped: {self.log.read()[-500:]!r}")
            try:
                if self.get("/api/v1/search?q=jeugd", timeout=30)[0] == 200:
                    return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"the server did not answer within {START_TIMEOUT} s")

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.seek(0)
        self.output = self.log.read().decode("utf-8", "replace")
        self.log.close()
