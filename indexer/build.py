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

from . import embedding_step, integrity, neardup, vectors_write
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
    told = rebuild
    with _writer_lock(data_dir, lock_wait), CrawlStore.reader(store_path) as store:
        _clean_unfinished(root)
        current = current_build(data_dir)
        damaged = _damaged(current)
        rebuild = rebuild or damaged
        if current is not None and not rebuild and not _same_schema(current):
            log.info("index %s has an older schema: rebuilding", current.name)
            rebuild = True
        old_manifest: dict[str, str] = {}
        if current is not None and not rebuild:
            old_manifest = json.loads((current / MANIFEST).read_text(encoding="utf-8"))
        # Plan from (url, hash) only: holding every document would take gigabytes at
        # 100k documents. The documents themselves are streamed below.
        urls: dict[str, str] = {}
        new_manifest: dict[str, str] = {}
        fetched = []
        for url, content_hash, fetched_at in store.document_versions():
            i = doc_id(url)
            urls[i], new_manifest[i] = url, content_hash
            fetched.append(fetched_at)
        fetched.sort()
        _refuse_to_shrink(current, len(new_manifest), told)
        # Near-duplicate groups depend on every document, so they are regrouped on each
        # build, from sketches kept per build: only new and changed documents are
        # sketched again. A document whose group changed is re-indexed like a changed one.
        old_sketches = (
            {} if current is None or damaged else neardup.load_sketches(current / SKETCHES)
        )
        sketches: dict[str, tuple[str, tuple[int, ...]]] = {}
        for i, content_hash in new_manifest.items():
            kept = old_sketches.get(i)
            if kept is not None and kept[0] == content_hash:
                sketches[i] = kept
        del old_sketches
        missing = [i for i in new_manifest if i not in sketches]
        word_ids: dict[str, int] = {}
        docs_to_sketch = (
            (store.document(urls[i]) for i in missing)
            if len(missing) < len(new_manifest) // 2
            else (d for d in store.documents() if doc_id(d.url) not in sketches)
        )
        for doc in docs_to_sketch:
            if doc is not None:
                i = doc_id(doc.url)
                sketches[i] = (new_manifest[i], neardup.sketch(doc.text, word_ids))
        groups = neardup.group_sketches({i: sk for i, (_, sk) in sketches.items()})
        for i, group in groups.items():
            if i in new_manifest:
                new_manifest[i] += f" dup:{group}"
        changed_ids = [i for i, h in new_manifest.items() if old_manifest.get(i) != h]
        removed_ids = [i for i in old_manifest if i not in new_manifest]
        mode = "rebuild" if current is None or rebuild else "update"
        if (
            mode == "update"
            and not changed_ids
            and not removed_ids
            and embedding_step.dense_up_to_date(current)
        ):
            info = BuildInfo.read(current)
            info.mode, info.added, info.updated, info.removed = "unchanged", 0, 0, 0
            return info

        build_dir = _new_build_dir(root)
        tmp_dir = build_dir.with_name("." + build_dir.name + ".tmp")
        try:
            if mode == "rebuild":
                tmp_dir.mkdir(parents=True)
                ix = whoosh_index.create_in(str(tmp_dir), build_schema())
            else:
                _copy_build(current, tmp_dir)
                ix = whoosh_index.open_dir(str(tmp_dir))
            try:
                # Segments as separate files, not one compound file: Whoosh reads a
                # compound segment's parts into memory (BytesIO copies of the postings
                # and columns, ~0.4 GB per server process at 100k documents), separate
                # files are read from the OS page cache, shared between processes.
                writer = ix.writer(limitmb=256, compound=False)
            except LockError as exc:  # only a foreign process writing into our folder
                raise IndexBusy(f"index folder is locked: {exc}") from exc
            try:
                for i in removed_ids:
                    writer.delete_by_term("id", i)
                if mode == "update":
                    changed = (store.document(urls[i]) for i in changed_ids)
                else:
                    changed = store.documents()
                # Surface words for spelling suggestions (indexer/suggest.py).
                vocabulary = VocabularyCounter()
                for doc in tqdm(
                    changed,
                    total=len(changed_ids),
                    desc="index",
                    unit="doc",
                    disable=not progress,
                    leave=False,
                ):
                    if doc is None:  # gone from the store since the plan was made
                        continue
                    group = groups.get(doc_id(doc.url), "")
                    vocabulary.add(doc.title, doc.text)
                    if mode == "update":
                        writer.update_document(**index_fields(doc, group))
                    else:
                        writer.add_document(**index_fields(doc, group))
                writer.commit(optimize=mode == "rebuild")
            except BaseException:
                writer.cancel()
                raise
            ix.close()
            # The ranking's arrays of each new segment (indexer/vectors_write.py).
            vectors_write.write_missing(tmp_dir)
            write_publications(tmp_dir, find_publications(store))
            # Passage vectors for search by meaning (indexer/embedding_step.py).
            embedding_step.embed_build(
                store,
                tmp_dir,
                hashes=new_manifest,
                urls=urls,
                previous_build=current,
                cache_path=data_dir / embedding_step.CACHE_FILE,
                progress=progress,
            )
            added = sum(1 for i in changed_ids if i not in old_manifest)
            info = BuildInfo(
                version=build_dir.name.removeprefix("build-"),
                built_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
                documents=len(new_manifest),
                added=added,
                updated=len(changed_ids) - added,
                removed=len(removed_ids),
                seconds=round(time.monotonic() - started, 3),
                crawl_first=fetched[0] if fetched else None,
                crawl_last=fetched[-1] if fetched else None,
                mode=mode,
            )
            vocabulary.write(tmp_dir, previous=tmp_dir if mode == "update" else None)
            neardup.save_sketches(tmp_dir / SKETCHES, sketches)
            (tmp_dir / MANIFEST).write_text(
                json.dumps(new_manifest, sort_keys=True), encoding="utf-8"
            )
            (tmp_dir / BUILD_INFO).write_text(json.dumps(asdict(info), indent=1), encoding="utf-8")
            integrity.write_checksums(tmp_dir)  # last: it covers every file above
            os.rename(tmp_dir, build_dir)
            _swap_in(root, build_dir)
        except BaseException:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            raise
        keep = {build_dir.name} | ({current.name} if current is not None else set())
        _clean_old_builds(root, keep)
        log.info(
            "index %s: %d documents (%d added, %d updated, %d removed) in %.1fs",
            mode,
            info.documents,
            info.added,
            info.updated,
            info.removed,
            info.seconds,
        )
        return info
