"""Build the VVSG part of the bundled sample mirror (host www.vvsg.be).

Usage (from the repository root)::

    /tmp/kbvenv/bin/python corpus/tools/build_vvsg.py

Reads `corpus/tools/content/vvsg.be/<section>/<slug>.txt`, deletes and rewrites
`corpus/sites/vvsg.be/` with a Drupal-style template: extensionless URLs, the
content in `div.region-content > div.node--type-kennisitem`, themes and audiences
as Drupal fields, `article:published_time` / `article:modified_time` meta tags.

Edge cases written on purpose:
- one document encoded in windows-1252 (CP1252_SLUG);
- a noindex print version of one tools page (PRINT_SLUG), linked from that page;
- a tools page linking to the missing page /jeugd/tools/verdwenen-checklist;
- `_redirects` with an old URL /jeugd/oud/<slug> of a praktijkvoorbeeld
  (REDIRECT_SLUG), linked from a nieuws page.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import mirrorlib  # noqa: E402

HOST = "www.vvsg.be"
BASE_URL = f"https://{HOST}"
SITE_NAME = "VVSG"
PUBLISHER = "VVSG - Vereniging van Vlaamse Steden en Gemeenten"
TOOLS_DIR = Path(__file__).parent
CONTENT_DIR = TOOLS_DIR / "content" / "vvsg.be"
SITE_DIR = TOOLS_DIR.parent / "sites" / "vvsg.be"

# content folder -> (URL prefix, listing label, breadcrumb trail above the listing)
SECTIONS = {
    "visie": ("/jeugd/visie", "Visie", True),
    "tools": ("/jeugd/tools", "Tools", True),
    "praktijkvoorbeelden": ("/jeugd/praktijkvoorbeelden", "Praktijkvoorbeelden", True),
    "video": ("/jeugd/video", "Video", True),
    "nieuws": ("/nieuws", "Nieuws", False),
    "publicaties": ("/jeugd/publicaties", "Publicaties", True),
}
TYPE_FOR_SECTION = {
    "visie": "visietekst",
    "tools": "methodiek",
    "praktijkvoorbeelden": "praktijkvoorbeeld",
    "video": "filmpje",
    "nieuws": "nieuws",
    "publicaties": "publicatie",
}
THEMES = [
    "beleidsparticipatie", "jeugdraad", "kinderrechten", "kindvriendelijkheid",
    "brede jeugdreflex", "speelruimte", "vrije tijd", "mobiliteit", "BOA", "jeugdwerk",
    "meerjarenplan", "kwetsbare jongeren", "verkiezingen", "onderwijs", "welzijn",
]  # fmt: skip
AUDIENCES = ["jeugdambtenaar", "schepen", "jeugdraad", "kinderen en jongeren", "onderzoeker"]

CP1252_SLUG = "reunie-jeugdconsulenten-limburg"
PRINT_SLUG = "checklist-speelstraat-aanvragen"
REDIRECT_SLUG = "netevoort-boa-regisseur"
MISSING_LINK = "/jeugd/tools/verdwenen-checklist"

STYLE = """
body{font-family:Arial,Helvetica,sans-serif;margin:0;color:#222;line-height:1.5}
.region-header{background:#00406b;color:#fff;padding:.6em 1.5em}
.region-header a{color:#fff;margin-right:1em;text-decoration:none}
.layout{display:flex;gap:2em;padding:1em 1.5em}
.region-content{flex:3}.region-sidebar-first{flex:1;background:#f3f6f8;padding:1em}
.breadcrumb{font-size:.85em;padding:.5em 1.5em}
.region-footer{background:#222;color:#ddd;padding:1em 1.5em;font-size:.9em}
.region-footer a{color:#fff}
.cookie-banner{position:fixed;bottom:0;left:0;right:0;background:#fffbe6;padding:.8em;border-top:1px solid #cc9}
.field__label{font-weight:bold}
"""


def theme_slug(theme: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", theme.lower()).strip("-")


def doc_url(doc: mirrorlib.ContentDoc) -> str:
    return f"{SECTIONS[doc.section][0]}/{doc.slug}"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def header_html() -> str:
    nav = "".join(
        f'<li><a href="{prefix}">{label}</a></li>' for prefix, label, _ in SECTIONS.values()
    )
    return f"""<header class="region region-header" role="banner">
  <div class="site-branding"><a href="/" rel="home" class="site-logo">VVSG</a>
    <span class="site-slogan">Vereniging van Vlaamse Steden en Gemeenten - samen sterk voor lokale besturen</span></div>
  <nav class="menu--main" aria-label="Hoofdnavigatie"><ul class="menu">
    <li><a href="/">Home</a></li><li><a href="/jeugd">Jeugd en kinderen</a></li>{nav}</ul></nav>
  <form class="search-block-form" action="/zoeken" method="get"><label for="zoek">Zoeken op de website</label>
    <input type="search" id="zoek" name="keys"><button type="submit">Zoek</button></form>
</header>"""


def breadcrumb_html(trail: list[tuple[str, str | None]]) -> str:
    items = []
    for label, url in trail:
        if url:
            items.append(f'<li class="breadcrumb__item"><a href="{url}">{esc(label)}</a></li>')
        else:
            items.append(f'<li class="breadcrumb__item">{esc(label)}</li>')
    return (
        '<nav class="breadcrumb" aria-label="Kruimelpad"><ol>'
        + " &raquo; ".join(items)
        + "</ol></nav>"
    )


def sidebar_html(links: list[tuple[str, str]], extra: str = "") -> str:
    items = "".join(f'<li><a href="{url}">{esc(title)}</a></li>' for url, title in links)
    return f"""<aside class="region region-sidebar-first" role="complementary">
  <div class="block block-views block-gerelateerd"><h2 class="block-title">Gerelateerde kennisitems</h2>
    <ul>{items}</ul></div>{extra}
</aside>"""


def footer_html() -> str:
    return """<footer class="region region-footer" role="contentinfo">
  <div class="block block-contact"><h2>VVSG vzw</h2>
    <p>Vereniging van Vlaamse Steden en Gemeenten, Bischoffsheimlaan 1-8, 1000 Brussel.
    Tel. 02 211 55 00 - info@vvsg.be. Ondernemingsnummer 0451.857.573.</p></div>
  <div class="block block-newsletter"><h2>Nieuwsbrief Jeugd en Kinderen</h2>
    <p>Ontvang elke maand het laatste nieuws over lokaal jeugdbeleid in je mailbox.</p>
    <form class="newsletter-form" action="/nieuwsbrief/inschrijven" method="post">
      <label for="nb-mail">Je e-mailadres</label><input type="email" id="nb-mail" name="mail" required>
      <button type="submit">Inschrijven</button></form></div>
  <div class="block block-social"><h2>Volg ons</h2><ul class="social-links">
    <li><a href="https://www.facebook.com/VVSGvzw">Facebook</a></li>
    <li><a href="https://www.linkedin.com/company/vvsg">LinkedIn</a></li>
    <li><a href="https://www.instagram.com/vvsg_vzw">Instagram</a></li></ul></div>
  <p class="copyright">&copy; VVSG vzw - Alle rechten voorbehouden - Privacyverklaring en cookiebeleid</p>
</footer>"""


def cookie_html() -> str:
    return """<div class="cookie-banner eu-cookie-compliance-banner" role="dialog" aria-label="Cookies">
  <p>Wij gebruiken cookies om onze website goed te laten werken en om anoniem bezoekersstatistieken
  bij te houden. Ga je akkoord met het gebruik van analytische cookies?</p>
  <button type="button" class="agree-button">Alle cookies aanvaarden</button>
  <button type="button" class="decline-button">Enkel noodzakelijke cookies</button>
</div>"""


def page_html(
    title: str,
    description: str,
    main: str,
    trail: list[tuple[str, str | None]],
    sidebar: str,
    *,
    charset: str = "utf-8",
    extra_head: str = "",
    canonical: str | None = None,
) -> str:
    canon = f'\n<link rel="canonical" href="{BASE_URL}{canonical}">' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="nl" dir="ltr">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{esc(title)} | {SITE_NAME}</title>
<meta name="description" content="{esc(description)}">
<meta name="Generator" content="Drupal 10 (https://www.drupal.org)">{canon}{extra_head}
<style>{STYLE}</style>
</head>
<body class="path-node page-node-type-kennisitem">
<a href="#main-content" class="visually-hidden focusable skip-link">Overslaan en naar de inhoud gaan</a>
<div class="dialog-off-canvas-main-canvas">
{header_html()}
{breadcrumb_html(trail)}
<div class="layout">
<main id="main-content" role="main">
{main}
</main>
{sidebar}
</div>
{footer_html()}
{cookie_html()}
</div>
</body>
</html>
"""


def related_links(doc, docs) -> list[tuple[str, str]]:
    themes = set(doc.meta["themes"])
    scored = []
    for other in docs:
        if other is doc:
            continue
        score = len(themes & set(other.meta["themes"]))
        if score:
            scored.append((-score, other.section == doc.section, other.slug, other))
    scored.sort(key=lambda t: (t[0], t[1], t[2]))
    picked = [t[3] for t in scored[:4]]
    if len(picked) < 3:
        for other in docs:
            if other is not doc and other not in picked:
                picked.append(other)
            if len(picked) >= 3:
                break
    return [(doc_url(o), o.title) for o in picked]


def pdf_summary_html(doc) -> str:
    """Landing page of a PDF publication: intro, table of contents, download link."""
    intro, _, _rest = doc.body.partition("\n## ")
    headings = re.findall(r"^## (.+)$", doc.body, re.M)
    toc = "".join(f"<li>{html.escape(h)}</li>" for h in headings)
    words = len(re.findall(r"\w+", doc.body))
    return (
        mirrorlib.markdown_to_html(intro)
        + f"\n<h2>In deze publicatie</h2><ul>{toc}</ul>"
        + f'\n<p class="file"><a href="{doc.meta["pdf"]}" type="application/pdf">'
        + f"Download de volledige publicatie (PDF, ca. {words} woorden)</a></p>"
    )


def node_html(doc, body_html: str) -> str:
    meta = doc.meta
    themes = "".join(
        f'<div class="field__item"><a href="/thema/{theme_slug(t)}">{esc(t)}</a></div>'
        for t in meta["themes"]
    )
    aud = "".join(f'<div class="field__item">{esc(a)}</div>' for a in meta["audience"])
    if meta.get("video"):
        iframe = (
            f'<div class="video-embed-field-responsive-video"><iframe width="854" height="480" '
            f'src="{esc(meta["video"])}" title="{esc(doc.title)}" frameborder="0" '
            'allow="accelerometer; encrypted-media; picture-in-picture" allowfullscreen></iframe></div>\n'
        )
        body_html = iframe + body_html
    return f"""<div class="region region-content">
  <div class="node node--type-kennisitem" data-type="{esc(meta["type"])}">
    <h1 class="page-title"><span class="field--name-title">{esc(doc.title)}</span></h1>
    <div class="field field--name-field-datum">Gepubliceerd op {mirrorlib.dutch_date(doc.date)}</div>
    <div class="field field--name-body">
{body_html}
    </div>
    <div class="field field--name-field-thema"><div class="field__label">Thema</div>
      <div class="field__items">{themes}</div></div>
    <div class="field field--name-field-doelgroep"><div class="field__label">Doelgroep</div>
      <div class="field__items">{aud}</div></div>
  </div>
</div>"""


def time_meta(doc) -> str:
    out = f'\n<meta property="og:type" content="article">\n<meta property="article:published_time" content="{doc.date}T10:00:00+01:00">'
    if doc.meta.get("modified"):
        out += f'\n<meta property="article:modified_time" content="{doc.meta["modified"]}T10:00:00+01:00">'
    return out


def doc_trail(doc) -> list[tuple[str, str | None]]:
    prefix, label, under_jeugd = SECTIONS[doc.section]
    trail = [("Home", "/")]
    if under_jeugd:
        trail.append(("Jeugd en kinderen", "/jeugd"))
    trail.append((label, prefix))
    trail.append((doc.title, None))
    return trail


def listing_html(heading: str, intro: str, docs) -> str:
    rows = []
    for d in sorted(docs, key=lambda d: d.date, reverse=True):
        rows.append(
            f'<li class="views-row"><a href="{doc_url(d)}">{esc(d.title)}</a>'
            f' <span class="date">{mirrorlib.dutch_date(d.date)}</span>'
            f"<p>{esc(d.meta.get('description', ''))}</p></li>"
        )
    return f"""<div class="region region-content">
  <div class="view view-kennisitems view-display-id-page">
    <h1 class="page-title">{esc(heading)}</h1>
    <p class="view-header">{esc(intro)}</p>
    <ul class="view-content">{"".join(rows)}</ul>
  </div>
</div>"""


def validate(docs) -> None:
    for d in docs:
        m = d.meta
        if d.section not in SECTIONS:
            raise ValueError(f"{d.source_file}: unknown section {d.section}")
        if m["type"] != TYPE_FOR_SECTION[d.section]:
            raise ValueError(f"{d.source_file}: type {m['type']} in section {d.section}")
        for t in m["themes"]:
            if t not in THEMES:
                raise ValueError(f"{d.source_file}: unknown theme {t!r}")
        for a in m["audience"]:
            if a not in AUDIENCES:
                raise ValueError(f"{d.source_file}: unknown audience {a!r}")
        if m.get("pdf"):
            y, mo, _ = d.date.split("-")
            expected = f"/sites/default/files/{y}-{mo}/{d.slug}.pdf"
            if m["pdf"] != expected:
                raise ValueError(f"{d.source_file}: pdf should be {expected}")
        if m["type"] == "filmpje" and not m.get("video"):
            raise ValueError(f"{d.source_file}: filmpje without video")


def build() -> None:
    docs = mirrorlib.load_docs(CONTENT_DIR)
    validate(docs)
    if SITE_DIR.exists():
        shutil.rmtree(SITE_DIR)
    SITE_DIR.mkdir(parents=True)
    sitemap: list[tuple[str, str]] = []

    for doc in docs:
        url = doc_url(doc)
        if doc.meta.get("pdf"):
            body = pdf_summary_html(doc)
            pdf_target = mirrorlib.url_path_to_file(SITE_DIR, doc.meta["pdf"])
            mirrorlib.write_pdf(doc, pdf_target, PUBLISHER)
            sitemap.append((doc.meta["pdf"], doc.meta.get("modified") or doc.date))
        else:
            body = mirrorlib.markdown_to_html(doc.body)
        extra_side = ""
        if doc.slug == PRINT_SLUG:
            extra_side = (
                '\n  <div class="block block-print"><h2 class="block-title">Afdrukken</h2>'
                f'<p><a href="/print{url}" rel="nofollow">Printvriendelijke versie</a></p></div>'
            )
        charset = "windows-1252" if doc.slug == CP1252_SLUG else "utf-8"
        page = page_html(
            doc.title,
            doc.meta.get("description", ""),
            node_html(doc, body),
            doc_trail(doc),
            sidebar_html(related_links(doc, docs), extra_side),
            charset=charset,
            extra_head=time_meta(doc),
            canonical=url,
        )
        mirrorlib.write_page(
            SITE_DIR, url, page, encoding="cp1252" if charset != "utf-8" else "utf-8"
        )
        sitemap.append((url, doc.meta.get("modified") or doc.date))

        if doc.slug == PRINT_SLUG:  # edge case: noindex printable version
            print_page = f"""<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex, follow">
<title>{esc(doc.title)} (printversie) | {SITE_NAME}</title>
<meta name="description" content="Printvriendelijke versie van: {esc(doc.title)}">
</head>
<body class="print-page">
<p class="print-header">VVSG - printversie van <a href="{url}">{BASE_URL}{url}</a></p>
<div class="print-content">
<h1>{esc(doc.title)}</h1>
<p>Gepubliceerd op {mirrorlib.dutch_date(doc.date)}</p>
{body}
</div>
<p class="print-footer">VVSG vzw, Bischoffsheimlaan 1-8, 1000 Brussel - www.vvsg.be</p>
</body>
</html>
"""
            mirrorlib.write_page(SITE_DIR, f"/print{url}", print_page)

    # section listings
    for section, (prefix, label, under_jeugd) in SECTIONS.items():
        sdocs = [d for d in docs if d.section == section]
        trail = (
            [("Home", "/")]
            + ([("Jeugd en kinderen", "/jeugd")] if under_jeugd else [])
            + [(label, None)]
        )
        intro = (
            f"Alle kennisitems van de VVSG in de rubriek {label.lower()}, de meest recente eerst."
        )
        page = page_html(
            label,
            intro,
            listing_html(label, intro, sdocs),
            trail,
            sidebar_html([(doc_url(d), d.title) for d in sorted(sdocs, key=lambda d: d.date)[-4:]]),
        )
        mirrorlib.write_page(SITE_DIR, prefix, page)

    # theme listings
    used = [t for t in THEMES if any(t in d.meta["themes"] for d in docs)]
    for theme in used:
        tdocs = [d for d in docs if theme in d.meta["themes"]]
        intro = f"Kennisitems, tools en praktijkvoorbeelden van de VVSG over het thema {theme}."
        page = page_html(
            f"Thema: {theme}",
            intro,
            listing_html(f"Thema: {theme}", intro, tdocs),
            [("Home", "/"), ("Thema's", "/jeugd"), (theme, None)],
            sidebar_html([(f"/thema/{theme_slug(t)}", t) for t in used if t != theme][:5]),
        )
        mirrorlib.write_page(SITE_DIR, f"/thema/{theme_slug(theme)}", page)

    # /jeugd overview
    sec_links = "".join(
        f'<li><a href="{path}">{label}</a></li>'
        for path, label, jeugd in SECTIONS.values()
        if jeugd
    )
    theme_links = "".join(f'<li><a href="/thema/{theme_slug(t)}">{esc(t)}</a></li>' for t in used)
    jeugd_main = f"""<div class="region region-content"><div class="view view-overzicht">
<h1 class="page-title">Jeugd en kinderen</h1>
<p class="view-header">De VVSG ondersteunt steden, gemeenten en OCMW's bij hun kinder- en jeugdbeleid:
visie, tools, praktijkvoorbeelden, filmpjes en publicaties.</p>
<h2>Rubrieken</h2><ul>{sec_links}</ul><h2>Thema's</h2><ul>{theme_links}</ul></div></div>"""
    recent = sorted(docs, key=lambda d: d.date)[-5:]
    mirrorlib.write_page(
        SITE_DIR,
        "/jeugd",
        page_html(
            "Jeugd en kinderen",
            "Kinder- en jeugdbeleid bij de VVSG.",
            jeugd_main,
            [("Home", "/"), ("Jeugd en kinderen", None)],
            sidebar_html([(doc_url(d), d.title) for d in recent]),
        ),
    )

    # home page
    latest = sorted(docs, key=lambda d: d.date, reverse=True)[:8]
    home_main = listing_html(
        "VVSG - Jeugd en kinderen",
        "Nieuws, visie en tools voor een sterk lokaal jeugdbeleid in Vlaamse steden en gemeenten.",
        latest,
    )
    mirrorlib.write_page(
        SITE_DIR,
        "/",
        page_html(
            "Home",
            "VVSG ondersteunt lokale besturen bij hun jeugd- en kinderbeleid.",
            home_main,
            [("Home", None)],
            sidebar_html([(path, label) for path, label, _ in SECTIONS.values()][:5]),
        ),
    )

    # robots, sitemap, redirects
    (SITE_DIR / "robots.txt").write_text(
        f"User-agent: *\nDisallow: /user/\nDisallow: /admin/\nSitemap: {BASE_URL}/sitemap.xml\n",
        encoding="utf-8",
    )
    mirrorlib.write_sitemap(SITE_DIR, BASE_URL, sitemap)
    assert any(d.slug == REDIRECT_SLUG and d.section == "praktijkvoorbeelden" for d in docs)
    (SITE_DIR / "_redirects").write_text(
        f"/jeugd/oud/{REDIRECT_SLUG} /jeugd/praktijkvoorbeelden/{REDIRECT_SLUG} 301\n",
        encoding="utf-8",
    )
    print(
        f"vvsg: {len(docs)} HTML documents, "
        f"{sum(1 for d in docs if d.meta.get('pdf'))} PDFs -> {SITE_DIR}"
    )


if __name__ == "__main__":
    build()
