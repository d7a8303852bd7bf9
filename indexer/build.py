"""Building and updating the index from the crawl store, then swapping it in.

Every build is written into a fresh folder under `<data>/index/`; when it is complete
the `CURRENT` pointer file is replaced atomically (os.replace), so a reader sees the
old index or the new one, never half of one. An update starts from a hard-linked copy
of the current build (Whoosh never rewrites a finished segment file) and applies only
the new, changed and gone documents. One writer at a time per data dir, by an flock
that the OS releases when a build dies.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm
from whoosh import index as whoosh_index
from whoosh.writing import LockError

from crawler.filelock import FileLock, Locked
from crawler.store import CrawlStore

from . import analysis, embedding_step, integrity, neardup, vectors_write
from .publications import PUBLICATIONS_FILE, find_publications, write_publications
from .schema import build_schema, doc_id, index_fields
from .suggest import VocabularyCounter

log = logging.getLogger(__name__)

POINTER = "CURRENT"
BUILD_INFO = "build.json"
MANIFEST = "manifest.json"
SKETCHES = "sketches.bin"
LOCK_WAIT = 600.0
KEEP_RECENT_SECONDS = 600
# An update that would leave less than this share of the served index's documents is
# refused unless the build was asked for with --rebuild (a lost or emptied crawl store,
# a crawl that went wrong): the search must not empty itself silently.
MIN_KEPT_SHARE = 0.5


class IndexError_(Exception):
    """Base for index problems the CLI reports as a clear message."""


class IndexMissing(IndexError_):
    pass


class IndexBusy(IndexError_):
    pass


class IndexWouldShrink(IndexError_):
    """The crawl store holds far fewer documents than the index serves."""


@dataclass
class BuildInfo:
    version: str
    built_at: str
    documents: int
    added: int
    updated: int
    removed: int
    seconds: float
    crawl_first: str | None
    crawl_last: str | None
    mode: str  # "rebuild" | "update" | "unchanged"
    # The analysis the build was made with (indexer/analysis.py analysis_record); a
    # build.json without them (an older build) counts as another analysis.
    analysis_version: int = 0
    lang_hash: str = ""

    @classmethod
    def read(cls, build_dir: Path) -> BuildInfo:
        return cls(**json.loads((build_dir / BUILD_INFO).read_text(encoding="utf-8")))


def index_root(data_dir: Path) -> Path:
    return Path(data_dir) / "index"


def current_build(data_dir: Path) -> Path | None:
    """The folder of the index being served, or None when there is none yet."""
    root = index_root(data_dir)
    try:
        name = (root / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = root / name
    return path if name and (path / BUILD_INFO).is_file() else None


@contextmanager
def _writer_lock(data_dir: Path, wait: float) -> Iterator[None]:
    """One index writer per data dir (crawler/filelock.py)."""
    try:
        lock = FileLock(index_root(data_dir) / "write.lock", wait=wait).acquire()
    except Locked:
        raise IndexBusy("another index build is running; try again later") from None
    try:
        yield
    finally:
        lock.release()


def _swap_in(root: Path, build_dir: Path) -> None:
    tmp = root / f".{POINTER}.{uuid.uuid4().hex}"
    tmp.write_text(build_dir.name, encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, root / POINTER)


def _clean_old_builds(root: Path, keep: set[str]) -> None:
    """Remove builds other than `keep` and unfinished ones left by a killed build.

    The previous build is kept one round longer, and any build younger than
    `KEEP_RECENT_SECONDS`: a server may still be answering from it while it notices
    the swap (it looks once a second), even when builds follow each other quickly."""
    now = time.time()
    for path in root.iterdir():
        if not path.is_dir() or path.name in keep:
            continue
        try:
            recent = now - path.stat().st_mtime < KEEP_RECENT_SECONDS
        except OSError:
            continue
        if path.name.startswith(".") or not recent:
            shutil.rmtree(path, ignore_errors=True)


def _clean_unfinished(root: Path) -> None:
    """Remove the temporary folders of builds that died (SIGKILL, power loss). Called
    with the writer lock held, so no live build owns one; without this an update
    that finds nothing to do would leave them on disk for good."""
    for path in root.glob(".build-*.tmp"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _same_schema(build_dir: Path) -> bool:
    """Whether a build has this version's fields and columns (an update cannot add
    either)."""

    def shape(schema) -> list[tuple[str, bool]]:
        return [(name, schema[name].column_type is not None) for name in schema.names()]

    try:
        old = whoosh_index.open_dir(str(build_dir)).schema
    except (OSError, ValueError, EOFError, KeyError, whoosh_index.IndexError):
        # whoosh.index.IndexError (EmptyIndexError's base) is what a garbled TOC raises.
        return False
    return shape(old) == shape(build_schema())


def _damaged(current: Path | None) -> bool:
    """Whether the current build's files are damaged (then it is rebuilt, not updated)."""
    problem = integrity.damage(current) if current is not None else None
    if problem:
        log.warning("index %s is damaged (%s): rebuilding it", current.name, problem)
    return bool(problem)


def _refuse_to_shrink(current: Path | None, documents: int, told: bool) -> None:
    """Raise IndexWouldShrink when a build would drop most of the served documents and
    nobody asked for it (`told`: --rebuild); IndexMissing when there is nothing at all
    to build from."""
    if not documents:
        raise IndexMissing(
            "the crawl store holds no documents: nothing to build an index from "
            "(run `kennisbank crawl`, or restore the store from a backup)"
        )
    if told or current is None:
        return
    try:
        before = BuildInfo.read(current).documents
    except (OSError, ValueError, TypeError):
        return  # a damaged build.json: nothing to compare with
    if before and documents < before * MIN_KEPT_SHARE:
        raise IndexWouldShrink(
            f"the crawl store holds {documents} documents, the index {before}: not dropping "
            "most of the index. Check the crawl store (`kennisbank status`); to build from "
            "it anyway, run `kennisbank index --rebuild`"
        )


def _new_build_dir(root: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return root / f"build-{stamp}-{uuid.uuid4().hex[:6]}"


def _copy_build(src: Path, dst: Path) -> None:
    """Hard-link the current build's index files into `dst`. Our own metadata files are
    left out: they are written anew, and writing through a hard link would change the
    build that is still being served (and, after a crash, make it look up to date)."""
    dst.mkdir(parents=True)
    for item in src.iterdir():
        if item.name in (MANIFEST, BUILD_INFO, SKETCHES, PUBLICATIONS_FILE):
            continue
        if item.is_file() and not item.name.endswith(".lock"):
            try:
                os.link(item, dst / item.name)
            except OSError:
                shutil.copy2(item, dst / item.name)


@dataclass
class _Plan:
    """What a build will do, decided from (url, hash) pairs before any document is read."""

    current: Path | None
    mode: str  # "rebuild" | "update"
    urls: dict[str, str]  # doc id -> url
    old_manifest: dict[str, str]  # doc id -> content hash (and duplicate group)
    new_manifest: dict[str, str]
    fetched: list[str]  # fetch times, sorted
    sketches: dict[str, tuple[str, tuple[int, ...]]]
    groups: dict[str, str]
    changed_ids: list[str]
    removed_ids: list[str]


def update_index(
    data_dir: Path, *, rebuild: bool = False, progress: bool = True, lock_wait: float = LOCK_WAIT
) -> BuildInfo:
    """Bring the index up to date with the crawl store; rebuild from scratch if asked
    or if there is no index yet. Returns what was done."""
    data_dir = Path(data_dir)
    store_path = data_dir / "crawl.sqlite"
    if not store_path.exists():
        raise IndexMissing(f"no crawl store at {store_path}: run `kennisbank crawl` first")
    root = index_root(data_dir)
    started = time.monotonic()
    with _writer_lock(data_dir, lock_wait), CrawlStore.reader(store_path) as store:
        _clean_unfinished(root)
        current = current_build(data_dir)
        plan = _plan(store, current, told=rebuild)
        if (
            plan.mode == "update"
            and not plan.changed_ids
            and not plan.removed_ids
            and embedding_step.dense_up_to_date(current)
        ):
            info = BuildInfo.read(current)
            info.mode, info.added, info.updated, info.removed = "unchanged", 0, 0, 0
            return info
        build_dir = _new_build_dir(root)
        tmp_dir = build_dir.with_name("." + build_dir.name + ".tmp")
        try:
            vocabulary = _write_segments(store, tmp_dir, plan, progress)
            _write_derived(store, tmp_dir, plan, data_dir / embedding_step.CACHE_FILE, progress)
            info = _build_info(build_dir, plan, started)
            _write_metadata(tmp_dir, plan, info, vocabulary)
            os.rename(tmp_dir, build_dir)
            _swap_in(root, build_dir)
        except BaseException:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            raise
        keep = {build_dir.name} | ({current.name} if current is not None else set())
        _clean_old_builds(root, keep)
        log.info(
            "index %s: %d documents (%d added, %d updated, %d removed) in %.1fs",
            plan.mode,
            info.documents,
            info.added,
            info.updated,
            info.removed,
            info.seconds,
        )
        return info


def _plan(store: CrawlStore, current: Path | None, *, told: bool) -> _Plan:
    """Decide between rebuild and update and which documents change. `told`: the
    caller asked for --rebuild."""
    damaged = _damaged(current)
    rebuild = told or damaged or _outdated(current)
    old_manifest: dict[str, str] = {}
    if current is not None and not rebuild:
        old_manifest = json.loads((current / MANIFEST).read_text(encoding="utf-8"))
    urls, new_manifest, fetched = _store_versions(store)
    _refuse_to_shrink(current, len(new_manifest), told)
    old_sketches = {} if current is None or damaged else neardup.load_sketches(current / SKETCHES)
    sketches = _sketches(store, old_sketches, new_manifest, urls)
    del old_sketches
    groups = neardup.group_sketches({i: sk for i, (_, sk) in sketches.items()})
    for i, group in groups.items():
        if i in new_manifest:
            new_manifest[i] += f" dup:{group}"
    return _Plan(
        current=current,
        mode="rebuild" if current is None or rebuild else "update",
        urls=urls,
        old_manifest=old_manifest,
        new_manifest=new_manifest,
        fetched=fetched,
        sketches=sketches,
        groups=groups,
        changed_ids=[i for i, h in new_manifest.items() if old_manifest.get(i) != h],
        removed_ids=[i for i in old_manifest if i not in new_manifest],
    )


def _outdated(current: Path | None) -> bool:
    """Whether the served build cannot be updated in place: an older schema, or another
    analysis (ANALYSIS_VERSION or the word lists in corpus/lang) than this code's.
    Says why in the log."""
    if current is None:
        return False
    if not _same_schema(current):
        log.info("index %s has an older schema: rebuilding", current.name)
        return True
    try:
        old = BuildInfo.read(current)
    except (OSError, ValueError, TypeError):
        return False  # a damaged build.json: integrity.damage has had its say
    now = analysis.analysis_record()
    if old.analysis_version != now["analysis_version"]:
        log.info(
            "index %s was built with analysis version %s, this code has %s: rebuilding",
            current.name,
            old.analysis_version,
            now["analysis_version"],
        )
        return True
    if old.lang_hash != now["lang_hash"]:
        log.info(
            "index %s was built with other word lists (corpus/lang changed): rebuilding",
            current.name,
        )
        return True
    return False


def _store_versions(store: CrawlStore) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(doc id -> url, doc id -> content hash, sorted fetch times) of the store. Plan
    from (url, hash) only: holding every document would take gigabytes at 100k
    documents. The documents themselves are streamed later."""
    urls: dict[str, str] = {}
    manifest: dict[str, str] = {}
    fetched = []
    for url, content_hash, fetched_at in store.document_versions():
        i = doc_id(url)
        urls[i], manifest[i] = url, content_hash
        fetched.append(fetched_at)
    fetched.sort()
    return urls, manifest, fetched


def _sketches(
    store: CrawlStore,
    old: dict[str, tuple[str, tuple[int, ...]]],
    manifest: dict[str, str],
    urls: dict[str, str],
) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Near-duplicate sketches of every document. Groups depend on every document, so
    they are regrouped on each build, from sketches kept per build: only new and
    changed documents are sketched again. A document whose group changed is re-indexed
    like a changed one."""
    sketches: dict[str, tuple[str, tuple[int, ...]]] = {}
    for i, content_hash in manifest.items():
        kept = old.get(i)
        if kept is not None and kept[0] == content_hash:
            sketches[i] = kept
    missing = [i for i in manifest if i not in sketches]
    word_ids: dict[str, int] = {}
    docs_to_sketch = (
        (store.document(urls[i]) for i in missing)
        if len(missing) < len(manifest) // 2
        else (d for d in store.documents() if doc_id(d.url) not in sketches)
    )
    for doc in docs_to_sketch:
        if doc is not None:
            i = doc_id(doc.url)
            sketches[i] = (manifest[i], neardup.sketch(doc.text, word_ids))
    return sketches


def _write_segments(
    store: CrawlStore, tmp_dir: Path, plan: _Plan, progress: bool
) -> VocabularyCounter:
    """Write the Whoosh index into `tmp_dir`: a new one (rebuild) or a hard-linked copy
    of the current build with the changes applied (update). Returns the surface words of
    the documents written, for spelling suggestions (indexer/suggest.py)."""
    if plan.mode == "rebuild":
        tmp_dir.mkdir(parents=True)
        ix = whoosh_index.create_in(str(tmp_dir), build_schema())
    else:
        _copy_build(plan.current, tmp_dir)
        ix = whoosh_index.open_dir(str(tmp_dir))
    try:
        # Segments as separate files, not one compound file: Whoosh reads a compound
        # segment's parts into memory (BytesIO copies of the postings and columns, ~0.4
        # GB per server process at 100k documents), separate files are read from the OS
        # page cache, shared between processes.
        writer = ix.writer(limitmb=256, compound=False)
    except LockError as exc:  # only a foreign process writing into our folder
        raise IndexBusy(f"index folder is locked: {exc}") from exc
    vocabulary = VocabularyCounter()
    try:
        for i in plan.removed_ids:
            writer.delete_by_term("id", i)
        if plan.mode == "update":
            changed = (store.document(plan.urls[i]) for i in plan.changed_ids)
            add = writer.update_document
        else:
            changed = store.documents()
            add = writer.add_document
        for doc in tqdm(
            changed,
            total=len(plan.changed_ids),
            desc="index",
            unit="doc",
            disable=not progress,
            leave=False,
        ):
            if doc is None:  # gone from the store since the plan was made
                continue
            vocabulary.add(doc.title, doc.text)
            add(**index_fields(doc, plan.groups.get(doc_id(doc.url), "")))
        writer.commit(optimize=plan.mode == "rebuild")
    except BaseException:
        writer.cancel()
        raise
    ix.close()
    return vocabulary


def _write_derived(
    store: CrawlStore, tmp_dir: Path, plan: _Plan, embed_cache: Path, progress: bool
) -> None:
    """The files derived from the new segments and the store: the ranking's arrays
    (indexer/vectors_write.py), the publications, the passage vectors for search by
    meaning (indexer/embedding_step.py)."""
    vectors_write.write_missing(tmp_dir)
    write_publications(tmp_dir, find_publications(store))
    embedding_step.embed_build(
        store,
        tmp_dir,
        hashes=plan.new_manifest,
        urls=plan.urls,
        previous_build=plan.current,
        cache_path=embed_cache,
        progress=progress,
    )


def _build_info(build_dir: Path, plan: _Plan, started: float) -> BuildInfo:
    added = sum(1 for i in plan.changed_ids if i not in plan.old_manifest)
    return BuildInfo(
        version=build_dir.name.removeprefix("build-"),
        built_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        documents=len(plan.new_manifest),
        added=added,
        updated=len(plan.changed_ids) - added,
        removed=len(plan.removed_ids),
        seconds=round(time.monotonic() - started, 3),
        crawl_first=plan.fetched[0] if plan.fetched else None,
        crawl_last=plan.fetched[-1] if plan.fetched else None,
        mode=plan.mode,
        **analysis.analysis_record(),
    )


def _write_metadata(
    tmp_dir: Path, plan: _Plan, info: BuildInfo, vocabulary: VocabularyCounter
) -> None:
    """Our own files of a build, checksums last: they cover every file above."""
    vocabulary.write(tmp_dir, previous=tmp_dir if plan.mode == "update" else None)
    neardup.save_sketches(tmp_dir / SKETCHES, plan.sketches)
    (tmp_dir / MANIFEST).write_text(json.dumps(plan.new_manifest, sort_keys=True), encoding="utf-8")
    (tmp_dir / BUILD_INFO).write_text(json.dumps(asdict(info), indent=1), encoding="utf-8")
    integrity.write_checksums(tmp_dir)
