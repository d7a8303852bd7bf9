"""The API answer: one search result as the plain dict of the API contract (docs/api.md).

Every JSON rendering (the API, the JSON export's results) builds on `hit_dict` and
`result_dict`, so the contract is written down once.
"""

from __future__ import annotations

from indexer.engine import Hit, SearchResult

HIT_FIELDS = (
    "id",
    "url",
    "title",
    "site",
    "type",
    "themes",
    "audience",
    "date",
    "snippet",
    "score",
    "match",
    "pdf",
    "copies",
)


def hit_dict(hit: Hit) -> dict:
    # Field by field: dataclasses.asdict deep-copied the whole hit (its copies, its full
    # text) for every row of an export, a third of the time of a 10,000-row export.
    data = {k: getattr(hit, k) for k in HIT_FIELDS}
    data["themes"], data["audience"] = list(hit.themes), list(hit.audience)
    pdf = hit.pdf
    data["pdf"] = (
        None
        if pdf is None
        else {"id": pdf.id, "url": pdf.url, "pages": pdf.pages, "bytes": pdf.bytes}
    )
    data["copies"] = [
        {"id": c.id, "url": c.url, "site": c.site, "title": c.title} for c in hit.copies
    ]
    return data


def result_dict(result: SearchResult) -> dict:
    req = result.request
    return {
        "query": req.query,
        "total": result.total,
        "page": req.page,
        "per_page": req.per_page,
        "results": [hit_dict(h) for h in result.hits],
        "facets": {
            name: [{"value": f.value, "count": f.count, "selected": f.selected} for f in values]
            for name, values in result.facets.items()
        },
        "suggestion": result.suggestion,
        "corrected": result.corrected,
        "not_found": list(result.not_found),
    }


# The export's columns: the API's hit fields plus what a researcher needs per row.
EXPORT_FIELDS = (
    "rank",
    "score",
    "id",
    "title",
    "url",
    "site",
    "type",
    "themes",
    "audience",
    "date",
    "fetched_at",
    "word_count",
    "description",
    "snippet",
    "match",
    "pdf",
    "copies",
)


def export_record(hit: Hit, rank: int, with_text: bool = False) -> dict:
    """One exported document: `hit_dict` (the API's hit, unchanged) plus the export
    columns, in EXPORT_FIELDS order; `text` last when asked for."""
    data = hit_dict(hit)
    data.update(
        rank=rank,
        fetched_at=hit.fetched_at,
        word_count=hit.word_count,
        description=hit.description,
    )
    record = {k: data[k] for k in EXPORT_FIELDS}
    if with_text:
        record["text"] = hit.text
    return record
