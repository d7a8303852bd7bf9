"""Incremental index updates: only what changed is re-indexed, near-duplicate groups
follow the changes, and the build being served is never written to."""

from __future__ import annotations

import json

from crawler.store import CrawlStore, Document
from indexer.build import MANIFEST, SKETCHES, current_build, update_index
from indexer.engine import SearchIndex, SearchRequest
from indexer.neardup import load_sketches
from indexer.schema import doc_id

# A news item long enough to sketch well (a few hundred distinct shingles).
SHARED = " ".join(
    f"In deelgemeente {n} vroegen {n + 3} kinderen om een speelstraat en {n * 2} jongeren om "
    f"een plek om af te spreken, dus zet het speelruimteplan stap {n} op de agenda."
    for n in range(1, 25)
)
OTHER = [
    "Een jeugdraad adviseert het college over alles wat kinderen en jongeren raakt.",
    "Het meerjarenplan 2026-2031 legt de doelen van het lokaal jeugdbeleid vast.",
    "Buitenschoolse opvang en activiteiten worden in elke gemeente anders georganiseerd.",
]


def _doc(url: str, text: str, title: str) -> Document:
    return Document(url=url, source="test", title=title, text=text, doc_type="nieuws",
                    content_hash=str(abs(hash((title, text)))).rjust(64, "0")[:64],
                    fetched_at="2026-01-01T00:00:00+00:00", date="2025-01-15")  # fmt: skip


def _save(store: CrawlStore, doc: Document) -> None:
    store.save_document(doc, http_status=200, final_url=doc.url, etag=None, last_modified=None)


def test_update_reuses_sketches_and_keeps_the_served_build_intact(tmp_path):
    store = CrawlStore(tmp_path / "crawl.sqlite")
    a = _doc("https://www.vvsg.be/nieuws/a", SHARED + " Bron: VVSG.", "Speelruimteplan")
    b = _doc("https://www.debattle.be/nieuws/b", "Overgenomen. " + SHARED, "Speelruimte")
    _save(store, a)
    _save(store, b)
    for n, text in enumerate(OTHER):
        _save(store, _doc(f"https://www.bataljong.be/n/{n}", text * 8, f"Bericht {n}"))

    first = update_index(tmp_path, progress=False)
    assert first.mode == "rebuild" and first.documents == 5
    served = current_build(tmp_path)
    manifest_before = (served / MANIFEST).read_text(encoding="utf-8")
    assert len(load_sketches(served / SKETCHES)) == 2  # the short texts have no sketch
    hits = SearchIndex(tmp_path).search(SearchRequest(query="speelruimteplan")).hits
    assert len(hits) == 1 and hits[0].copies  # one hit, "ook op" the other copy

    # b is rewritten into something else: it leaves the group; a is re-indexed too.
    _save(store, _doc(b.url, OTHER[0] * 9, "Speelruimte"))
    second = update_index(tmp_path, progress=False)
    assert second.mode == "update"
    assert second.updated == 2 and second.added == 0 and second.removed == 0
    assert (served / MANIFEST).read_text(encoding="utf-8") == manifest_before
    new = current_build(tmp_path)
    assert new != served
    manifest = json.loads((new / MANIFEST).read_text(encoding="utf-8"))
    assert not any(" dup:" in v for v in manifest.values())
    # b's new text is too short to sketch; a's sketch was kept from the last build.
    assert set(load_sketches(new / SKETCHES)) == {doc_id(a.url)}
    # By words: b's title "Speelruimte" is close in meaning, but no copy any more.
    words_only = SearchIndex(tmp_path, semantic=False)
    hits = words_only.search(SearchRequest(query="speelruimteplan")).hits
    assert [h.url for h in hits] == [a.url] and not hits[0].copies
    store.close()
