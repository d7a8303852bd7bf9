"""Cross-page boilerplate: lines that recur on a large share of one source's pages.

A single-page extractor cannot tell a site's template from its content; the site's
other pages can. A line of extracted text (a menu entry, a cookie notice, "Lees ook",
a footer address, a "Deel dit artikel" bar) that appears on at least `MIN_SHARE` of a
source's pages, once the source has `MIN_PAGES` pages, is template, and is stripped.

What is learned is kept in the crawl store: per page, the keys (short hashes) of the
distinct lines of its text as extracted, before anything was stripped
(`CrawlStore.save_line_keys`). Learning from the raw lines, not the stored (stripped)
text, keeps the model from forgetting what it strips.

In a crawl (`CrossPageFilter`): each HTML document is stripped with the model learned
from the store when the source's crawl began, and its raw line keys are recorded; when
the source is done, the keys are saved, the model is learned again, and stored
documents that still hold a line the new model calls template are stripped (the first
crawl of a source has nothing to learn from until its end). A line that stops being
template comes back when its page changes.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .store import CrawlStore, Document

log = logging.getLogger(__name__)

MIN_PAGES = 10  # fewer pages than this: no share is telling, nothing is stripped
MIN_SHARE = 0.5  # a line on at least half of a source's pages is template
SAVE_EVERY = 50  # pages whose line keys are written to the store in one transaction


def line_key(line: str) -> str:
    """The key of one line: case and spacing do not matter. Numbers do: pages that
    differ only in a number ("Vergadering 12", "Vergadering 13") are different pages."""
    norm = " ".join(line.lower().split())
    return hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def page_keys(text: str) -> set[str]:
    """The keys of the distinct non-empty lines of a page's text."""
    return {line_key(line) for line in text.splitlines() if line.strip()}


@dataclass(frozen=True)
class Boilerplate:
    """The template lines of one source, as learned from its pages."""

    keys: frozenset[str] = frozenset()
    pages: int = 0

    def __bool__(self) -> bool:
        return bool(self.keys)

    def remove_from(self, text: str) -> str:
        """`text` without its template lines; unchanged when every line is template
        (that page is a wall or a listing: extraction health reports it, and an
        empty document would hide it)."""
        if not self.keys:
            return text
        kept = [line for line in text.splitlines() if line.strip()]
        stripped = [line for line in kept if line_key(line) not in self.keys]
        if not stripped or len(stripped) == len(kept):
            return text
        return "\n".join(stripped)


def learn(
    pages: Iterable[Iterable[str]], *, min_share: float = MIN_SHARE, min_pages: int = MIN_PAGES
) -> Boilerplate:
    """The template lines among `pages` (each the line keys of one page)."""
    counts: Counter = Counter()
    n = 0
    for keys in pages:
        n += 1
        counts.update(set(keys))
    if n < min_pages:
        return Boilerplate(frozenset(), n)
    needed = max(2, min_share * n)
    return Boilerplate(frozenset(k for k, c in counts.items() if c >= needed), n)


def learn_texts(texts: Iterable[str], **kwargs) -> Boilerplate:
    """`learn` from the raw extracted texts of one source's pages."""
    return learn((page_keys(t) for t in texts), **kwargs)


def with_text(doc: Document, text: str) -> Document:
    """`doc` with another text, its content hash recomputed as extraction does."""
    from .extract import document_hash

    new = replace(doc, text=text)
    return replace(new, content_hash=document_hash(new))


class CrossPageFilter:
    """Cross-page boilerplate removal for the crawl of one source."""

    def __init__(self, store: CrawlStore, source: str) -> None:
        self.store = store
        self.source = source
        self.model = learn(store.line_keys(source))
        self._seen: dict[str, list[str]] = {}

    def clean(self, doc: Document) -> Document:
        """Record the raw lines of an HTML document; return it without template lines."""
        self._seen[doc.url] = sorted(page_keys(doc.text))
        if len(self._seen) >= SAVE_EVERY:  # a killed crawl keeps what it learned
            self.store.save_line_keys(self.source, self._seen)
            self._seen = {}
        stripped = self.model.remove_from(doc.text)
        return doc if stripped == doc.text else with_text(doc, stripped)

    def finish(self) -> int:
        """Save the lines seen, learn again, strip stored documents that still hold
        template lines. Returns the number of stored documents stripped."""
        self.store.save_line_keys(self.source, self._seen)
        self._seen = {}
        self.model = learn(self.store.line_keys(self.source))
        if not self.model:
            return 0
        stripped = 0
        for doc in list(self.store.documents(self.source)):
            if doc.content_type != "text/html":
                continue
            text = self.model.remove_from(doc.text)
            if text != doc.text:
                self.store.replace_document(with_text(doc, text))
                stripped += 1
        if stripped:
            log.info("%s: template lines stripped from %d stored pages", self.source, stripped)
        return stripped
