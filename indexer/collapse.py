"""One hit per publication: near-duplicates and a landing page with its PDF collapse.

Two kinds of document belong together. Near-duplicates (`indexer/neardup.py`): the same
text republished on another page or site. Publications: a landing page and the PDF it
offers (`indexer/publications.py`). Both are joined into groups; each group is shown
once, at the rank of its best-ranked member, as its preferred member: a web page before
a PDF, the group's first member before a later copy. The page, the API's `total`, the
exports and the feed all count a group once, with the same rule (`hidden`): of the
group members a search matches, the preferred one is counted.

Groups are read once per index version into arrays over document numbers, so counting
is vectorised and does not grow with the number of hits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .publications import PUBLICATIONS_FILE
from .schema import FACET_FIELDS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PdfInfo:
    pages: int | None
    bytes: int | None


def _values(stored) -> list[str]:
    if stored is None or stored == "":
        return []
    if isinstance(stored, list | tuple):
        return [str(x) for x in stored]
    if isinstance(stored, str):
        return [x for x in stored.split(",") if x]
    return [str(stored)]


class Groups:
    """Collapse groups of one index version."""

    def __init__(
        self,
        n: int,
        edges: Iterable[tuple[int, int]],
        canonical: set[int],
        pdfs: dict[int, PdfInfo],
        landing_of: dict[int, int],
    ) -> None:
        self.n = n
        self.pdfs = pdfs
        self.landing_of = landing_of  # pdf docnum -> its landing page's docnum
        parent: dict[int, int] = {}

        def root(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in edges:
            parent.setdefault(a, a)
            parent.setdefault(b, b)
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        members: dict[int, list[int]] = {}
        for x in list(parent):
            members.setdefault(root(x), []).append(x)
        self.group = np.full(n, -1, dtype=np.int64)
        # Lower is preferred: a web page before a PDF, a group's first copy before later
        # ones, then the lower document number.
        self.preference = np.zeros(n, dtype=np.int64)
        self.members: dict[int, list[int]] = {}
        self.preferred: dict[int, int] = {}
        # Facet name -> grouped document -> its values (read by `read`).
        self.values: dict[str, dict[int, list[str]]] = {}
        for key, docs in members.items():
            if len(docs) < 2:
                continue
            for d in docs:
                self.group[d] = key
                self.preference[d] = (
                    (2 if d in pdfs else 0) + (0 if d in canonical else 1)
                ) * n + d
            docs.sort(key=lambda d: self.preference[d])
            self.members[key] = docs
            self.preferred[key] = docs[0]

    @classmethod
    def read(cls, build: Path, searcher, ids: list[str]) -> Groups:
        """The groups of a build: near-duplicate groups from the `dup_group` field,
        publications from the build's publications file."""
        n = len(ids)
        number = {doc_id: i for i, doc_id in enumerate(ids)}
        edges: list[tuple[int, int]] = []
        canonical: set[int] = set()
        if "dup_group" in searcher.schema:
            for term in searcher.lexicon("dup_group"):
                group = term.decode("utf-8") if isinstance(term, bytes) else term
                docs = list(searcher.postings("dup_group", term).all_ids())
                if group in number:
                    canonical.add(number[group])
                edges.extend((docs[0], d) for d in docs[1:])
        pdfs: dict[int, PdfInfo] = {}
        landing_of: dict[int, int] = {}
        path = build / PUBLICATIONS_FILE
        if path.is_file():
            for pdf_id, entry in json.loads(path.read_text(encoding="utf-8")).items():
                pdf, landing = number.get(pdf_id), number.get(entry["landing"])
                if pdf is None or landing is None:
                    continue
                pdfs[pdf] = PdfInfo(entry.get("pages"), entry.get("bytes"))
                landing_of[pdf] = landing
                edges.append((landing, pdf))
        groups = cls(n, edges, canonical, pdfs, landing_of)
        for docs in groups.members.values():
            for d in docs:
                stored = searcher.stored_fields(d)
                for name, fieldname in FACET_FIELDS.items():
                    groups.values.setdefault(name, {})[d] = _values(stored.get(fieldname))
        return groups

    def facet_counts(self, name: str, counts: dict[str, int], scope: np.ndarray) -> dict[str, int]:
        """Facet counts over every matched document (`counts`, for the documents of
        `scope`) turned into counts of hits: a value counts a group once if any of its
        matched members has it, which is the total a filter on that value gives."""
        docs = np.flatnonzero(scope & (self.group >= 0))
        if len(docs) < 2:
            return counts
        values = self.values.get(name, {})
        per_group: dict[tuple[int, str], int] = {}
        for d in docs.tolist():
            for value in values.get(d, []):
                key = (int(self.group[d]), value)
                per_group[key] = per_group.get(key, 0) + 1
        out = dict(counts)
        for (_, value), members in per_group.items():
            if members > 1 and value in out:
                out[value] -= members - 1
        return out

    def hidden(self, match: np.ndarray) -> np.ndarray:
        """The matched documents a search does not count: every matched member of a
        group except the preferred one among those matched."""
        out = np.zeros(self.n, dtype=bool)
        docs = np.flatnonzero(match & (self.group >= 0))
        if len(docs) < 2:
            return out
        order = np.lexsort((self.preference[docs], self.group[docs]))
        docs = docs[order]
        groups = self.group[docs]
        first = np.ones(len(docs), dtype=bool)
        first[1:] = groups[1:] != groups[:-1]
        out[docs[~first]] = True
        return out

    def shown_as(self, docnum: int) -> int:
        """The document a hit on `docnum` is shown as."""
        key = int(self.group[docnum]) if docnum < self.n else -1
        return docnum if key < 0 else self.preferred[key]

    def collapsed(
        self, docs: Iterable[int], start: int, stop: int, match: np.ndarray
    ) -> Iterator[tuple[int, int]]:
        """Positions `start:stop` of a ranked list once every group is cut back to one
        hit, at its best-ranked member's place: (the document shown, the member that
        earned the place). A group is shown as its preferred matched member (so a
        filter on a site shows that site's copy), a PDF as its landing page."""
        seen: set[int] = set()
        position = 0
        for docnum in docs:
            shown = docnum
            key = int(self.group[docnum])
            if key >= 0:
                if key in seen:
                    continue
                seen.add(key)
                shown = next(d for d in self.members[key] if match[d] or d == docnum)
                shown = self.landing_of.get(shown, shown)
            if position >= stop:
                return
            if position >= start:
                yield shown, docnum
            position += 1

    def copies(self, docnum: int) -> list[int]:
        """The other web pages shown with this hit (near-duplicates, not its PDF)."""
        key = int(self.group[docnum])
        if key < 0:
            return []
        return [
            d
            for d in self.members[key]
            if d != docnum and d not in self.pdfs and self.landing_of.get(d) != docnum
        ]

    def pdf_of(self, docnum: int) -> int | None:
        """The PDF this landing page offers, when the two are one hit."""
        key = int(self.group[docnum])
        if key < 0:
            return None
        for d in self.members[key]:
            if self.landing_of.get(d) == docnum:
                return d
        return None
