"""Which web page is a PDF's landing page, found at build time from the crawl store.

A publication is usually published twice: a page that presents it, and the PDF that
page offers for download. Searchers want one hit for it. A page is taken as a PDF's
landing page when it links to the PDF, belongs to the same source, and has a title
that shares most of its words with the PDF's title (a list of publications links many
PDFs and names none of them in its title; a news item names the PDF in passing). The
pairs, with the PDF's page count and size, are written per build for
`indexer/collapse.py`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from crawler.store import CrawlStore, Document

from .analysis import fold
from .schema import doc_id

PUBLICATIONS_FILE = "publications.json"
# Share of the shorter title's words the two titles must have in common when the page
# links to more than one PDF.
TITLE_OVERLAP = 0.6
# ...and when it links to this PDF alone (a news item that mentions the PDF is no
# landing page).
MIN_OVERLAP = 0.4
_WORD = re.compile(r"\w+")


def _words(title: str) -> set[str]:
    return {fold(w.lower()) for w in _WORD.findall(title) if len(w) > 2}


def title_overlap(a: str, b: str) -> float:
    """Share of the shorter title's words that the other title has too."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def find_publications(store: CrawlStore) -> dict[str, dict]:
    """PDF document id -> {"landing": landing page id, "pages": n, "bytes": n}."""
    candidates: dict[str, list[tuple[str, int]]] = {}
    for url, links in store.links_to_pdfs():
        pdfs = [link for link in links if link.lower().endswith(".pdf")]
        for pdf in pdfs:
            candidates.setdefault(pdf, []).append((url, len(set(pdfs))))
    out: dict[str, dict] = {}
    for pdf_url, pages in candidates.items():
        pdf = store.document(pdf_url)
        if pdf is None or pdf.content_type != "application/pdf":
            continue
        landing = _landing(store, pdf, pages)
        if landing is not None:
            out[doc_id(pdf.url)] = {
                "landing": doc_id(landing.url),
                "pages": pdf.pages,
                "bytes": pdf.size,
            }
    return out


def _landing(store: CrawlStore, pdf: Document, pages: list[tuple[str, int]]) -> Document | None:
    best: tuple[float, str, Document] | None = None
    for url, pdf_count in pages:
        page = store.document(url)
        if page is None or page.source != pdf.source or page.content_type == "application/pdf":
            continue
        overlap = title_overlap(page.title, pdf.title)
        if overlap < (TITLE_OVERLAP if pdf_count > 1 else MIN_OVERLAP):
            continue
        if best is None or (overlap, url) > best[:2]:
            best = (overlap, url, page)
    return None if best is None else best[2]


def write_publications(folder: Path, publications: dict[str, dict]) -> None:
    (folder / PUBLICATIONS_FILE).write_text(
        json.dumps(publications, sort_keys=True, indent=0), encoding="utf-8"
    )
