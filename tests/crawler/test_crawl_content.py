"""What the crawler keeps: conditional GET, changes and re-indexing, gone pages,
duplicates (tracking parameters, canonical, content hash), robots directives,
charsets, PDFs and trap guards."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import BASE, HOST, page

from crawler.config import CrawlSettings
from crawler.extract import extract_html
from indexer.build import update_index
from search_app import settings as app_settings


def test_304_flow_keeps_the_document(site):
    site.file("/", page("Home", links=("/doc",)))
    body = page("Document met ETag", "Inhoud die niet verandert.").encode()

    def conditional(handler) -> bool:
        if handler.path != "/doc":
            return False
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("ETag", '"v1"')
            handler.end_headers()
            return True
        handler.send_body(200, body, "text/html; charset=utf-8", {"ETag": '"v1"'})
        return True

    site.mirror.override(conditional)
    first = site.crawl().sources["test"].counts
    assert first["new"] == 1
    update_index(site.data_dir, progress=False)
    second = site.crawl().sources["test"].counts
    assert second["not_modified"] == 1 and second["new"] == 0 and second["changed"] == 0
    doc_requests = [r for r in site.mirror.requests if r.path == "/doc"]
    assert doc_requests[-1].headers.get("If-None-Match") == '"v1"'
    assert f"{BASE}/doc" in site.documents()
    assert update_index(site.data_dir, progress=False).mode == "unchanged"


def test_changed_page_is_reindexed_and_unchanged_is_not(site):
    site.file("/", page("Home", links=("/a", "/b")))
    site.file("/a", page("Pagina A", "Eerste versie van de tekst."))
    site.file("/b", page("Pagina B", "Blijft zoals hij is."))
    site.crawl()
    assert update_index(site.data_dir, progress=False).documents == 2
    site.file("/a", page("Pagina A", "Tweede versie, met een speelstraat erbij."))
    counts = site.crawl().sources["test"].counts
    assert counts["changed"] == 1 and counts["unchanged"] == 1
    info = update_index(site.data_dir, progress=False)
    assert (info.added, info.updated, info.removed) == (0, 1, 0)
    assert "speelstraat" in site.documents()[f"{BASE}/a"].text
    # The same content again: nothing to re-index.
    site.crawl()
    assert update_index(site.data_dir, progress=False).mode == "unchanged"


def test_gone_pages_removed_after_the_rule_and_transient_500_is_not(site):
    site.file("/", page("Home", links=("/weg", "/vergeten", "/wankel")))
    for path in ("/weg", "/vergeten", "/wankel"):
        site.file(path, page(f"Pagina {path}"))
    site.crawl()
    update_index(site.data_dir, progress=False)
    assert len(site.documents()) == 3

    # Run 2: /weg answers 404, /vergeten is no longer linked, /wankel answers 500.
    (site.root / HOST / "weg.html").unlink()
    site.file("/", page("Home", links=("/weg", "/wankel")))
    broken = {"on": True}
    site.mirror.override(
        lambda h: (
            broken["on"] and h.path == "/wankel" and (h.send_body(500, b"", "text/plain") or True)
        )
    )
    counts = site.crawl().sources["test"].counts
    docs = site.documents()
    assert f"{BASE}/weg" not in docs  # 404 on re-crawl: gone at once
    assert f"{BASE}/vergeten" in docs  # missing once: not yet (rule is 2 runs)
    assert f"{BASE}/wankel" in docs  # one transient 500 does not remove it
    assert counts["gone"] == 1 and counts["error:server_error"] == 1
    assert update_index(site.data_dir, progress=False).removed == 1

    # Run 3: /wankel recovers, /vergeten is missing a second time: gone.
    broken["on"] = False
    counts = site.crawl().sources["test"].counts
    docs = site.documents()
    assert f"{BASE}/vergeten" not in docs and f"{BASE}/wankel" in docs
    assert counts["gone"] == 1
    assert update_index(site.data_dir, progress=False).removed == 1


def test_tracking_parameter_duplicate_collapsed(site):
    site.file(
        "/",
        page(
            "Home",
            links=(
                "/doc?utm_source=nieuwsbrief&utm_medium=email",
                "/doc?fbclid=IwAR0abc",
                "/doc?PHPSESSID=123",
                "/doc",
            ),
        ),
    )
    site.file("/doc", page("Eén document"))
    site.crawl()
    assert list(site.documents()) == [f"{BASE}/doc"]
    assert [p for p in site.paths() if p.startswith("/doc")] == ["/doc"]


def test_canonical_duplicate_collapsed(site):
    site.file("/", page("Home", links=("/print/doc",)))
    site.file(
        "/print/doc",
        page("Het origineel", head=f'<link rel="canonical" href="{BASE}/doc">'),
    )
    site.file("/doc", page("Het origineel", head='<link rel="canonical" href="/doc">'))
    report = site.crawl()
    assert list(site.documents()) == [f"{BASE}/doc"]
    assert report.sources["test"].counts["duplicates:canonical"] == 1


def test_content_hash_duplicate_collapsed(site):
    site.file("/", page("Home", links=("/kopie-1", "/kopie-2")))
    site.file("/kopie-1", page("Zelfde tekst", "Exact dezelfde inhoud."))
    site.file("/kopie-2", page("Zelfde tekst", "Exact dezelfde inhoud."))
    report = site.crawl()
    assert len(site.documents()) == 1
    assert report.sources["test"].counts["duplicates:content"] == 1


def test_noindex_skipped_nofollow_honoured_incl_x_robots_tag(site):
    site.file("/", page("Home", links=("/print", "/pdf-noindex.pdf", "/header", "/nofollow")))
    site.file(
        "/print",
        page("Afdrukversie", links=("/via-print",), head='<meta name="robots" content="noindex">'),
    )
    site.file("/via-print", page("Gevonden via de afdrukversie"))
    site.file(
        "/nofollow",
        page("Niet volgen", links=("/verstopt",), head='<meta name="robots" content="nofollow">'),
    )
    site.file("/verstopt", page("Verstopt"))
    site.file("/header", page("Header noindex"))
    site.mirror.override(
        lambda h: (
            h.path == "/header"
            and (
                h.send_body(
                    200,
                    page("Header noindex").encode(),
                    "text/html; charset=utf-8",
                    {"X-Robots-Tag": "noindex"},
                )
                or True
            )
        )
    )
    site.crawl()
    docs = set(site.documents())
    assert docs == {f"{BASE}/via-print", f"{BASE}/nofollow"}
    assert "/verstopt" not in site.paths()


def test_windows_1252_page_of_the_mirror_decoded():
    path = app_settings.SAMPLE_SITES / "vvsg.be/nieuws/reunie-jeugdconsulenten-limburg.html"
    body = path.read_bytes()
    assert "é".encode() not in body  # really not UTF-8
    source = _vvsg_source()
    # The mirror sends no charset: the meta tag decides.
    extracted = extract_html(
        body, "https://www.vvsg.be/nieuws/reunie-jeugdconsulenten-limburg", source, CrawlSettings()
    )
    doc = extracted.document
    assert doc is not None
    assert "Reünie" in doc.title and "ideeën" in doc.title
    assert "\ufffd" not in doc.text and "financiële" in doc.description


def test_windows_1252_without_any_declaration_is_detected(site):
    text = "Reünie van jeugdconsulenten: ideeën, café en één gedeelde passie voor de jeugd. " * 8
    html = page("Reünie in Limburg", text).replace('<meta charset="utf-8">', "")
    site.file("/", page("Home", links=("/cp1252",)))
    site.file("/cp1252", html.encode("windows-1252"))
    site.mirror.override(
        lambda h: (
            h.path == "/cp1252"
            and (h.send_body(200, html.encode("windows-1252"), "text/html") or True)
        )
    )
    site.crawl()
    doc = site.documents()[f"{BASE}/cp1252"]
    assert doc.title == "Reünie in Limburg"
    assert "ideeën, café en één" in doc.text


def test_pdf_extracted(site):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Handboek voor de jeugdraad")
    pdf.set_keywords("jeugdraad, beleidsparticipatie")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "Een jeugdraad geeft advies aan het gemeentebestuur. " * 20)
    site.file("/", page("Home", links=("/files/handboek.pdf", "/files/logo.png")))
    site.file("/files/handboek.pdf", bytes(pdf.output()))
    site.file("/files/logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    report = site.crawl()
    doc = site.documents()[f"{BASE}/files/handboek.pdf"]
    assert doc.title == "Handboek voor de jeugdraad"
    assert doc.doc_type == "publicatie" and doc.content_type == "application/pdf"
    assert "gemeentebestuur" in doc.text and "jeugdraad" in doc.themes
    counts = report.sources["test"].counts
    assert counts["skipped"] == 1 and counts["skipped:type:image/png"] == 1


def test_calendar_and_path_traps_bounded(site):
    def calendar(handler) -> bool:
        m = re.match(r"^/agenda(?:\?maand=(\d+))?$", handler.path)
        if not m:
            return False
        month = int(m.group(1) or 0)
        html = page(
            f"Agenda maand {month}",
            links=(f"/agenda?maand={month + 1}", f"/kalender/{month + 1}/"),
        )
        handler.send_body(200, html.encode(), "text/html; charset=utf-8")
        return True

    def endless(handler) -> bool:
        # Every page links one level deeper, relative: /kalender/1/2/3/... forever.
        if not handler.path.startswith("/kalender/"):
            return False
        html = page("Kalender", links=("volgende/", "../kalender/volgende/"))
        handler.send_body(200, html.encode(), "text/html; charset=utf-8")
        return True

    site.mirror.override(calendar)
    site.mirror.override(endless)
    site.file("/", page("Home", links=("/agenda",)))
    report = site.crawl([site.source(max_depth=4, max_pages=30)])
    counts = report.sources["test"].counts
    assert len(site.paths()) <= 30
    assert counts["skipped:trap:calendar-like query"] >= 1
    assert not any("maand=2" in p for p in site.paths())


def test_page_cap_and_url_length_cap(site):
    links = tuple(f"/p/{i}" for i in range(40)) + ("/lang/" + "x" * 2100,)
    site.file("/", page("Home", links=links))
    for link in links[:40]:
        site.file(link, page(f"Pagina {link}"))
    report = site.crawl([site.source(max_pages=10)])
    assert len(site.documents()) == 9  # 10 URLs: the home page and 9 documents
    assert report.sources["test"].counts["page_cap_reached"] == 1
    assert not any(p.startswith("/lang/") for p in site.paths())


def _vvsg_source():
    from crawler.config import load_sources

    return load_sources(Path(app_settings.SOURCES_FILE)).get("vvsg")


def test_embedded_videos_are_recorded_as_links_to_the_video_site():
    from crawler.config import CrawlSettings, Source
    from crawler.extract import extract_html

    html = b"""<html><head><title>Filmpje: de jeugdraad</title></head><body><main>
    <h1>Filmpje: de jeugdraad</h1><p>Drie jongeren vertellen waarom ze in de jeugdraad
    zitten en wat ze er al bereikten in hun gemeente.</p>
    <iframe src="https://www.youtube-nocookie.com/embed/Ab3_x-9Kq1c"
      title="Zo werkt onze jeugdraad"></iframe>
    <iframe src="https://player.vimeo.com/video/123456"></iframe>
    <iframe src="https://kaart.example.be/embed/1" title="Een kaart"></iframe>
    </main></body></html>"""
    source = Source(name="t", title="T", start_urls=["https://t.be/"], allowed_domains=["t.be"])
    doc = extract_html(html, "https://t.be/film", source, CrawlSettings()).document
    assert doc.videos == [
        {"title": "Zo werkt onze jeugdraad", "url": "https://www.youtube.com/watch?v=Ab3_x-9Kq1c"},
        {"title": "Filmpje: de jeugdraad", "url": "https://vimeo.com/123456"},
    ]
