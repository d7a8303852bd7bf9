"""Build the Bataljong part of the bundled sample mirror (www.bataljong.be).

Run from the repo root:  python corpus/tools/build_bataljong.py

Reads corpus/tools/content/bataljong.be/<section>/<slug>.txt and (re)writes
corpus/sites/bataljong.be/ entirely, with a WordPress-style template:

- documents at /<section>/<slug>/ inside <article class="post type-post">,
  body in <div class="entry-content">, themes/audience in <footer class="entry-footer">;
- section listings, /thema/<slug>/ and /doelgroep/<slug>/ archives, home page;
- PDFs at /wp-content/uploads/<yyyy>/<mm>/<slug>.pdf (front matter key `pdf`);
- robots.txt, sitemap.xml and the edge cases:
  1. a sitemap-only document (SITEMAP_ONLY), linked from no page;
  2. two pages under /intern/ (disallowed in robots.txt) linked from the home page;
  3. tracking-parameter links (utm_*, fbclid) from the home page and /nieuws/.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import mirrorlib  # noqa: E402

HOST = "www.bataljong.be"
BASE_URL = f"https://{HOST}"
SITE_NAME = "Bataljong"
PUBLISHER = "Bataljong vzw"
TOOLS = Path(__file__).resolve().parent
CONTENT_DIR = TOOLS / "content" / "bataljong.be"
SITE_DIR = TOOLS.parent / "sites" / "bataljong.be"

SECTIONS = [  # (folder, title, intro)
    ("visie", "Visie", "Standpunten en visieteksten van Bataljong over sterk lokaal jeugdbeleid."),
    (
        "methodieken",
        "Methodieken",
        "Tools, stappenplannen en checklists voor jeugddiensten, schepenen en jeugdraden.",
    ),
    (
        "praktijkvoorbeelden",
        "Praktijkvoorbeelden",
        "Hoe steden en gemeenten het aanpakken: verhalen uit de praktijk.",
    ),
    ("films", "Films", "Filmpjes over jeugdbeleid, participatie en speelruimte."),
    ("nieuws", "Nieuws", "Nieuws van Bataljong en uit het lokale jeugdbeleid."),
    (
        "publicaties",
        "Publicaties",
        "Brochures, dossiers en onderzoeksrapporten om te lezen of te downloaden.",
    ),
]
SECTION_TITLES = {s: t for s, t, _ in SECTIONS}
TYPE_SECTION = {
    "visietekst": "visie", "methodiek": "methodieken", "praktijkvoorbeeld": "praktijkvoorbeelden",
    "filmpje": "films", "nieuws": "nieuws", "publicatie": "publicaties",
}  # fmt: skip

# Edge case 1: listed in sitemap.xml, linked from no page.
SITEMAP_ONLY = "nieuws/ledenbevraging-2024-resultaten"

# Edge case 3: tracking-parameter links (home page + /nieuws/).
TRACKED = [
    (
        "nieuws/vormingsaanbod-najaar-2025",
        "utm_source=nieuwsbrief&utm_medium=email&utm_campaign=nieuwsbrief-sept-2025",
    ),
    (
        "methodieken/stappenplan-meerjarenplan-2026-2031",
        "utm_source=nieuwsbrief&utm_medium=email&utm_campaign=meerjarenplan",
    ),
    (
        "praktijkvoorbeelden/kempenhout-jeugdraad-nieuw-leven",
        "utm_source=nieuwsbrief&utm_medium=email&utm_campaign=jeugdraden-2025",
    ),
    ("films/speelstraat-in-beeld", "fbclid=IwAR0abc"),
]

INTERN_PAGES = [
    (
        "/intern/ledenagenda/",
        "Ledenagenda (enkel voor leden)",
        "Deze agenda is enkel bedoeld voor leden van Bataljong. Je vindt hier de data van de "
        "regionale intervisies voor jeugdambtenaren, de bestuursvergaderingen en de voorbereidende "
        "werkgroepen voor het congres. Log in met je ledenaccount om je in te schrijven. "
        "Intervisie regio Limburg: 14 oktober, 9.30 uur. "
        "Werkgroep speelruimte: 21 oktober, online. "
        "Raad van bestuur: 4 november, Brussel.",
    ),
    (
        "/intern/concept-jaarverslag/",
        "Concept jaarverslag (niet publiceren)",
        "KLADVERSIE - niet verspreiden. Dit is een werkversie van het jaarverslag. De cijfers over "
        "ledenaantallen, vormingen en adviesvragen worden nog nagekeken door het team. Opmerkingen "
        "graag vóór het einde van de maand doorsturen naar het secretariaat. Hoofdstukken 3 en 4 "
        "zijn nog niet herschreven en de foto's moeten nog vervangen worden.",
    ),
]


def slugify(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _last_sunday(year: int, month: int) -> dt.date:
    d = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


def iso_datetime(day: str) -> str:
    """'2023-06-26' -> '2023-06-26T09:00:00+02:00' (Brussels summer/winter time)."""
    d = dt.date.fromisoformat(day)
    summer = _last_sunday(d.year, 3) <= d < _last_sunday(d.year, 10)
    return f"{day}T09:00:00{'+02:00' if summer else '+01:00'}"


def doc_url(doc) -> str:
    return f"/{doc.section}/{doc.slug}/"


def key(doc) -> str:
    return f"{doc.section}/{doc.slug}"


# ---------------------------------------------------------------------------
# Template
# ---------------------------------------------------------------------------

STYLE = """body{font-family:Arial,sans-serif;margin:0;color:#222}
.site-header,.site-footer{background:#1d3557;color:#fff;padding:1em}
.site-header a,.site-footer a{color:#fff}
.main-navigation ul{list-style:none;display:flex;gap:1em;padding:0}
.site-content{display:flex;gap:2em;padding:1em 2em}
.content-area{flex:3}.widget-area{flex:1}
#cookie-notice{background:#f1faee;border-top:2px solid #e63946;padding:.8em;
position:fixed;bottom:0;width:100%}"""


def nav_html() -> str:
    items = "".join(
        f'<li class="menu-item"><a href="/{s}/">{esc(t)}</a></li>' for s, t, _ in SECTIONS
    )
    return (
        '<nav id="site-navigation" class="main-navigation" aria-label="Hoofdmenu">'
        f'<ul id="primary-menu" class="menu">{items}'
        '<li class="menu-item"><a href="/thema/jeugdraad/">Thema\'s</a></li></ul></nav>'
    )


def breadcrumb_html(trail: list[tuple[str, str | None]]) -> str:
    parts = ['<a href="/">Home</a>']
    for label, url in trail:
        parts.append(
            f'<a href="{url}">{esc(label)}</a>'
            if url
            else f'<span class="breadcrumb_last">{esc(label)}</span>'
        )
    return '<nav class="breadcrumbs" aria-label="Kruimelpad"><p>' + " » ".join(parts) + "</p></nav>"


COOKIE = (
    '<div id="cookie-notice" class="cookie-notice" role="dialog" aria-label="Cookies">'
    "<p>Bataljong gebruikt cookies om deze website goed te laten werken "
    "en om anoniem bezoekersstatistieken "
    "bij te houden.</p>"
    '<button type="button" class="cn-accept">Alle cookies aanvaarden</button> '
    '<button type="button" class="cn-refuse">Enkel noodzakelijke cookies</button></div>'
)

FOOTER = (
    '<footer id="colophon" class="site-footer">'
    '<div class="footer-address"><h2>Bataljong vzw</h2>'
    "<p>Sterk beleid voor jonge inwoners<br>Pleinstraat 40, 1000 Brussel<br>"
    'Tel. 02 555 01 40 · <a href="mailto:info@bataljong.be">info@bataljong.be</a></p></div>'
    '<div class="footer-newsletter"><h2>Nieuwsbrief</h2>'
    "<p>Elke maand het nieuws over lokaal jeugdbeleid in je mailbox.</p>"
    '<form class="newsletter-form" action="/" method="get">'
    '<label for="nl-email">E-mailadres</label> <input type="email" id="nl-email" name="email" '
    'placeholder="jouw@e-mailadres.be" required> '
    '<button type="submit">Inschrijven</button></form></div>'
    '<div class="footer-social"><h2>Volg ons</h2><ul>'
    '<li><a href="https://www.facebook.com/bataljong">Facebook</a></li>'
    '<li><a href="https://www.instagram.com/bataljong">Instagram</a></li>'
    '<li><a href="https://www.linkedin.com/company/bataljong">LinkedIn</a></li></ul></div>'
    '<p class="site-info">© Bataljong vzw · <a href="/">Privacyverklaring</a> · '
    '<a href="/">Cookiebeleid</a></p>'
    "</footer>"
)


def sidebar_html(links: list) -> str:
    if not links:
        return ""
    items = "".join(f'<li><a href="{doc_url(d)}">{esc(d.title)}</a></li>' for d in links)
    return (
        '<aside id="secondary" class="widget-area"><section class="widget widget_related_posts">'
        f'<h2 class="widget-title">Lees ook</h2><ul>{items}</ul></section></aside>'
    )


def page(
    title: str, description: str, trail, main: str, sidebar: str = "", extra_head: str = ""
) -> str:
    full_title = (
        f"{title} | {SITE_NAME}"
        if title != SITE_NAME
        else f"{SITE_NAME} | Sterk beleid voor jonge inwoners"
    )
    return (
        '<!DOCTYPE html>\n<html lang="nl">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(full_title)}</title>\n"
        f'<meta name="description" content="{esc(description)}">\n'
        '<meta name="generator" content="WordPress 6.4.3">\n'
        f"{extra_head}<style>{STYLE}</style>\n</head>\n"
        '<body class="wp-site-blocks">\n'
        '<a class="skip-link screen-reader-text" href="#primary">Naar de inhoud</a>\n'
        '<header id="masthead" class="site-header">'
        '<p class="site-title"><a href="/" rel="home">Bataljong</a></p>'
        '<p class="site-description">Sterk beleid voor jonge inwoners</p>'
        f"{nav_html()}</header>\n"
        f'<div id="content" class="site-content">\n<main id="primary" class="content-area">\n'
        f"{breadcrumb_html(trail) if trail is not None else ''}\n{main}\n"
        f"</main>\n{sidebar}\n</div>\n"
        f"{FOOTER}\n{COOKIE}\n</body>\n</html>\n"
    )


def terms_html(doc) -> str:
    themes = ", ".join(
        f'<a href="/thema/{slugify(t)}/" rel="category tag">{esc(t)}</a>'
        for t in doc.meta["themes"]
    )
    aud = ", ".join(
        f'<a href="/doelgroep/{slugify(a)}/" rel="tag">{esc(a)}</a>' for a in doc.meta["audience"]
    )
    return (
        '<footer class="entry-footer">\n'
        f'<span class="cat-links">Thema: {themes}</span>\n'
        f'<span class="tags-links">Doelgroep: {aud}</span>\n</footer>'
    )


def summary_body(doc) -> str:
    """Landing page of a PDF publication: intro + table of contents + download link."""
    intro = re.split(r"\n## ", "\n" + doc.body, maxsplit=1)[0].strip()
    heads = re.findall(r"^##+ (.+)$", doc.body, re.M)
    out = mirrorlib.markdown_to_html(intro)
    if heads:
        out += (
            "\n<h2>In deze publicatie</h2><ul>"
            + "".join(f"<li>{esc(h)}</li>" for h in heads)
            + "</ul>"
        )
    out += (
        f'\n<p class="download"><a href="{esc(doc.meta["pdf"])}" class="wp-block-file__button">'
        f"Download de volledige publicatie (PDF)</a></p>"
    )
    return out


def document_page(doc, related) -> str:
    body = summary_body(doc) if doc.meta.get("pdf") else mirrorlib.markdown_to_html(doc.body)
    if doc.meta.get("video"):
        body = (
            '<figure class="wp-block-embed is-type-video is-provider-youtube">'
            '<div class="wp-block-embed__wrapper">'
            f'<iframe width="560" height="315" src="{esc(doc.meta["video"])}" '
            f'title="{esc(doc.title)}" '
            'frameborder="0" allow="accelerometer; encrypted-media; picture-in-picture" '
            "allowfullscreen></iframe>"
            "</div></figure>\n" + body
        )
    iso = iso_datetime(doc.date)
    modified = ""
    if doc.meta.get("modified"):
        modified = (
            f' <time class="updated" datetime="{iso_datetime(doc.meta["modified"])}">'
            f"bijgewerkt op {mirrorlib.dutch_date(doc.meta['modified'])}</time>"
        )
    post_id = zlib.crc32(doc.slug.encode()) % 9000 + 1000
    main = (
        f'<article id="post-{post_id}" class="post type-post">\n'
        f'<header class="entry-header"><h1 class="entry-title">{esc(doc.title)}</h1>\n'
        f'<div class="entry-meta"><time class="entry-date published" datetime="{iso}">'
        f"{mirrorlib.dutch_date(doc.date)}</time>{modified}</div></header>\n"
        f'<div class="entry-content">\n{body}\n</div>\n{terms_html(doc)}\n</article>'
    )
    head = f'<meta property="article:published_time" content="{iso}">\n'
    if doc.meta.get("modified"):
        mod_iso = iso_datetime(doc.meta["modified"])
        head += f'<meta property="article:modified_time" content="{mod_iso}">\n'
    trail = [(SECTION_TITLES[doc.section], f"/{doc.section}/"), (doc.title, None)]
    return page(doc.title, doc.meta["description"], trail, main, sidebar_html(related), head)


def listing_items(docs) -> str:
    rows = []
    for d in docs:
        rows.append(
            '<div class="archive-item">'
            f'<h2 class="archive-item-title"><a href="{doc_url(d)}">{esc(d.title)}</a></h2>'
            f'<p class="archive-item-meta">{mirrorlib.dutch_date(d.date)} · '
            f"{esc(SECTION_TITLES[d.section])}</p>"
            f'<p class="archive-item-excerpt">{esc(d.meta["description"])}</p></div>'
        )
    return "\n".join(rows)


def tracked_links_html(by_key) -> str:
    items = "".join(
        f'<li><a href="/{k}/?{esc(q)}">{esc(by_key[k].title)}</a></li>' for k, q in TRACKED
    )
    return (
        '<section class="newsletter-picks"><h2>Uit onze nieuwsbrief en sociale media</h2>'
        f"<ul>{items}</ul></section>"
    )


def archive_page(title, description, trail, docs, extra="") -> str:
    main = (
        f'<header class="page-header"><h1 class="page-title">{esc(title)}</h1>'
        f'<div class="archive-description"><p>{esc(description)}</p></div></header>\n'
        f'<div class="archive-list">\n{listing_items(docs)}\n</div>\n{extra}'
    )
    return page(title, description, trail, main)


def related_for(doc, pool) -> list:
    themes = set(doc.meta["themes"])
    scored = sorted(
        (d for d in pool if d is not doc),
        key=lambda d: (-len(themes & set(d.meta["themes"])), d.section == doc.section, d.slug),
    )
    return scored[:4]


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------


def _patch_fpdf_line_position() -> None:
    """mirrorlib.write_pdf calls multi_cell() back to back; fpdf2 2.8 leaves the cursor at the
    right margin after multi_cell (new_x=RIGHT), so a second call has no width left. Make the
    cursor return to the left margin instead (same rendering, no crash)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    if getattr(FPDF.multi_cell, "_lmargin_patch", False):
        return
    original = FPDF.multi_cell

    def multi_cell(self, *args, **kwargs):
        kwargs.setdefault("new_x", XPos.LMARGIN)
        kwargs.setdefault("new_y", YPos.NEXT)
        return original(self, *args, **kwargs)

    multi_cell._lmargin_patch = True
    FPDF.multi_cell = multi_cell


def validate(docs) -> None:
    for d in docs:
        sec = TYPE_SECTION[d.meta["type"]]
        if sec != d.section:
            raise ValueError(f"{d.source_file}: type {d.meta['type']} in section {d.section}")
        pdf = d.meta.get("pdf")
        if pdf:
            y, m, _ = d.date.split("-")
            expected = f"/wp-content/uploads/{y}/{m}/{d.slug}.pdf"
            if pdf != expected:
                raise ValueError(f"{d.source_file}: pdf should be {expected}")


def main() -> None:
    docs = mirrorlib.load_docs(CONTENT_DIR)
    validate(docs)
    by_key = {key(d): d for d in docs}
    assert SITEMAP_ONLY in by_key, SITEMAP_ONLY
    linked = [d for d in docs if key(d) != SITEMAP_ONLY]  # documents that may be linked
    newest = sorted(linked, key=lambda d: (d.date, d.slug), reverse=True)

    if SITE_DIR.exists():
        shutil.rmtree(SITE_DIR)
    SITE_DIR.mkdir(parents=True)

    _patch_fpdf_line_position()
    sitemap = []
    for d in docs:
        pool = [x for x in linked if x is not d]
        mirrorlib.write_page(SITE_DIR, doc_url(d), document_page(d, related_for(d, pool)))
        sitemap.append((doc_url(d), d.meta.get("modified", d.date)))
        if d.meta.get("pdf"):
            target = mirrorlib.url_path_to_file(SITE_DIR, d.meta["pdf"])
            mirrorlib.write_pdf(d, target, PUBLISHER)
            sitemap.append((d.meta["pdf"], d.meta.get("modified", d.date)))

    # Section listings
    for sec, title, intro in SECTIONS:
        sec_docs = [d for d in newest if d.section == sec]
        extra = tracked_links_html(by_key) if sec == "nieuws" else ""
        mirrorlib.write_page(
            SITE_DIR, f"/{sec}/", archive_page(title, intro, [(title, None)], sec_docs, extra)
        )

    # Theme and audience archives
    themes = sorted({t for d in linked for t in d.meta["themes"]})
    for t in themes:
        t_docs = [d for d in newest if t in d.meta["themes"]]
        t_trail = [("Thema", None), (t, None)]
        t_page = archive_page(f"Thema: {t}", f"Alles van Bataljong over {t}.", t_trail, t_docs)
        mirrorlib.write_page(SITE_DIR, f"/thema/{slugify(t)}/", t_page)
    audiences = sorted({a for d in linked for a in d.meta["audience"]})
    for a in audiences:
        a_docs = [d for d in newest if a in d.meta["audience"]]
        a_trail = [("Doelgroep", None), (a, None)]
        a_page = archive_page(
            f"Doelgroep: {a}", f"Bataljong-inhoud voor doelgroep {a}.", a_trail, a_docs
        )
        mirrorlib.write_page(SITE_DIR, f"/doelgroep/{slugify(a)}/", a_page)

    # Home page
    blocks = []
    for sec, title, intro in SECTIONS:
        sec_docs = [d for d in newest if d.section == sec][:4]
        items = "".join(f'<li><a href="{doc_url(d)}">{esc(d.title)}</a></li>' for d in sec_docs)
        blocks.append(
            f'<section class="home-section"><h2><a href="/{sec}/">{esc(title)}</a></h2>'
            f"<p>{esc(intro)}</p><ul>{items}</ul></section>"
        )
    theme_links = " · ".join(f'<a href="/thema/{slugify(t)}/">{esc(t)}</a>' for t in themes)
    aud_links = " · ".join(f'<a href="/doelgroep/{slugify(a)}/">{esc(a)}</a>' for a in audiences)
    intern = "".join(f'<li><a href="{u}">{esc(t)}</a></li>' for u, t, _ in INTERN_PAGES)
    home_main = (
        '<section class="hero"><h1>Sterk beleid voor jonge inwoners</h1>'
        "<p>Bataljong is de ledenorganisatie van steden en gemeenten voor hun jeugdbeleid. "
        "We verbinden jeugdambtenaren, schepenen van jeugd en jeugdraden.</p></section>\n"
        + "\n".join(blocks)
        + "\n"
        + tracked_links_html(by_key)
        + f'\n<section class="home-themes"><h2>Thema\'s</h2><p>{theme_links}</p>'
        f"<h2>Doelgroepen</h2><p>{aud_links}</p></section>"
        f'\n<section class="members-only"><h2>Voor leden</h2><ul>{intern}</ul></section>'
    )
    home_desc = "Bataljong: ledenorganisatie voor lokaal jeugdbeleid van steden en gemeenten."
    mirrorlib.write_page(SITE_DIR, "/", page(SITE_NAME, home_desc, None, home_main))

    # Edge case 2: /intern/ pages, linked from home, disallowed in robots.txt, not in the sitemap.
    for url, title, text in INTERN_PAGES:
        main = (
            '<article class="page type-page"><header class="entry-header">'
            f'<h1 class="entry-title">{esc(title)}</h1></header>'
            f'<div class="entry-content"><p>{esc(text)}</p></div></article>'
        )
        mirrorlib.write_page(
            SITE_DIR, url, page(title, title, [("Intern", None), (title, None)], main)
        )

    (SITE_DIR / "robots.txt").write_text(
        "User-agent: *\nDisallow: /intern/\nDisallow: /wp-admin/\n"
        "Allow: /wp-admin/admin-ajax.php\n\n"
        f"Sitemap: {BASE_URL}/sitemap.xml\n",
        encoding="utf-8",
    )
    mirrorlib.write_sitemap(SITE_DIR, BASE_URL, sitemap)
    n_pdf = sum(1 for d in docs if d.meta.get("pdf"))
    print(f"bataljong: {len(docs)} HTML documents + {n_pdf} PDFs -> {SITE_DIR}")


if __name__ == "__main__":
    main()
