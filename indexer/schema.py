"""The index schema: the contract between the indexer and the search app.

Declared once, here; the facet fields come from the facet registry (`facets.py`).
Facet fields are sortable (stored as columns) so Whoosh can count them without
rebuilding per-document lists on every query; the multi-valued facets (themes,
audience) use a list column.
"""

from __future__ import annotations

import hashlib

from whoosh import columns, fields

from crawler.store import Document

from .analysis import dutch_analyzer
from .facets import FACET_FIELDS, FACETS, MULTI_VALUED, Facet

__all__ = ["FACET_FIELDS", "MULTI_VALUED", "build_schema", "doc_id", "index_fields"]

# Query-time weights (BM25F field boosts): a word in the title says more about a page
# than the same word deep in its body; headings and the description sit in between.
# `body` holds every word of the page (title, description and headings included), so a
# title word scores body + title: the extra fields only ever add weight.
FIELD_BOOSTS = {"title": 2.0, "headings": 1.0, "description": 0.5, "body": 1.0}


# Pinned import path: Whoosh pickles this class into every index as
# `indexer.schema.ListKeyword` (see indexer/analysis.py PINNED_CLASSES); never rename or
# move it.
class ListKeyword(fields.KEYWORD):
    """A comma-separated keyword field whose values are also stored as a list column."""

    def __init__(self, **kwargs) -> None:
        super().__init__(commas=True, lowercase=False, scorable=False, **kwargs)
        self.column_type = columns.VarBytesListColumn()

    def to_column_value(self, value):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        return [v.encode("utf-8") for v in value]

    def from_column_value(self, value):
        return [v.decode("utf-8") if isinstance(v, bytes) else v for v in value]


def _facet_field(facet: Facet) -> fields.FieldType:
    if facet.multi_valued:
        return ListKeyword(stored=True)
    if facet.numeric:
        return fields.NUMERIC(int, stored=True, sortable=True, signed=False)
    return fields.ID(stored=True, sortable=True)


def build_schema() -> fields.Schema:
    analyzer = dutch_analyzer()
    return fields.Schema(
        **{f.field: _facet_field(f) for f in FACETS},
        # Sortable: id breaks ties in every date sort; unsortable, Whoosh finds each
        # document's key with a list.index per hit (seconds at 10k hits).
        id=fields.ID(stored=True, unique=True, sortable=True),
        url=fields.ID(stored=True),
        title=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
        headings=fields.TEXT(analyzer=analyzer, phrase=False),
        description=fields.TEXT(analyzer=analyzer, stored=True, phrase=False),
        body=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
        source=fields.ID(stored=True),
        date=fields.ID(stored=True, sortable=True),
        fetched_at=fields.STORED(),
        content_hash=fields.STORED(),
        word_count=fields.STORED(),
        content_type=fields.STORED(),
        modified=fields.STORED(),
        # Near-duplicate group (indexer/neardup.py): the id of the group's first member,
        # set only on documents that have a near-duplicate; the engine collapses on it.
        dup_group=fields.ID(stored=True),
    )


def doc_id(url: str) -> str:
    """Stable document id: the same URL gives the same id in every build."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def index_fields(doc: Document, dup_group: str = "") -> dict:
    """The field values of one document, for `writer.add_document(**...)`."""
    values = {
        "id": doc_id(doc.url),
        "url": doc.url,
        "title": doc.title,
        "headings": "\n".join(doc.headings),
        "description": doc.description,
        # Every word of the page is matched in `body` (one field: one posting list per
        # word, the cheap way to match in Whoosh); title, headings and description are
        # indexed again on their own only to add weight. The stored body stays the text.
        "body": "\n".join(p for p in (doc.title, doc.description, *doc.headings, doc.text) if p),
        "_stored_body": doc.text,
        "site": doc.site,
        "source": doc.source,
        "type": doc.doc_type,
        "themes": ",".join(t.replace(",", " ") for t in doc.themes),
        "audience": ",".join(a.replace(",", " ") for a in doc.audience),
        "date": doc.date or "",
        "fetched_at": doc.fetched_at,
        "content_hash": doc.content_hash,
        "word_count": doc.word_count,
        "content_type": doc.content_type,
        "modified": doc.modified or "",
    }
    if dup_group:
        values["dup_group"] = dup_group
    if doc.date:
        values["year"] = int(doc.date[:4])
    return values
