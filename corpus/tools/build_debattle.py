"""Build the Debattle part of the bundled sample mirror (www.debattle.be).

Run from the repo root:

    /tmp/kbvenv/bin/python corpus/tools/build_debattle.py

Deletes and rewrites `corpus/sites/debattle.be/` from the content files in
`corpus/tools/content/debattle.be/`.

Template (Debattle is a "modern" site):
- extensionless URLs: listings `/visie`, `/tools`, ... documents `/<section>/<slug>`,
  PDFs `/files/<slug>.pdf`;
- themes ONLY as `<meta name="keywords">` in `<head>`;
- main content in `<main id="inhoud">`, date in `<p class="meta"><time>`,
  audience as `<ul class="labels"><li class="label label-doelgroep">`.

Edge cases:
- `/tools/werkbladen-overzicht` carries `<meta name="robots" content="nofollow">` and is
  the ONLY page linking to `/tools/verborgen-werkblad` (not in listings, sidebars, sitemap);
- robots.txt disallows `/admin/` (a small redactie-login page is generated there and
  linked from the footer).
"""

from __future__ import annotations

import html
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import mirrorlib  # noqa: E402

HOST = "www.debattle.be"
BASE_URL = f"https://{HOST}"
SITE_NAME = "Debattle"
PUBLISHER = "Debattle - Bataljong en De Ambrassade"
ROOT = Path(__file__).resolve().parents[2]
CONTENT_DIR = ROOT / "corpus" / "tools" / "content" / "debattle.be"
SITE_DIR = ROOT / "corpus" / "sites" / "debattle.be"

# section folder -> (listing title, intro sentence)
SECTIONS = {
    "visie": (
        "Visie",
        "Waarom jongeren een stem verdienen in hun stad of gemeente: onze visieteksten.",
    ),
    "tools": (
        "Tools",
        "Stappenplannen, checklists en sjablonen om met een groep jongeren aan de slag te gaan.",
    ),
    "verhalen": (
        "Verhalen",
        "Zo pakten andere gemeenten en jeugdraden het aan: verhalen uit de praktijk.",
    ),
    "filmpjes": ("Filmpjes", "Korte filmpjes om een gesprek of vorming mee te starten."),
    "nieuws": ("Nieuws", "Het laatste nieuws over Debattle, verkiezingen en jongerenparticipatie."),
    "materiaal": (
        "Materiaal",
        "Brochures, werkboeken, kaartspelen en dossiers om te downloaden of te bestellen.",
    ),
}
PDF_SECTION = "files"  # content files rendered ONLY as PDF at /files/<slug>.pdf
NOFOLLOW = {"tools/werkbladen-overzicht"}
HIDDEN = {"tools/verborgen-werkblad"}  # reachable only through the nofollow page

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#1d1d1b;line-height:1.55}
.topbar{background:#ff5a36;color:#fff;padding:.8rem 1.5rem;display:flex;gap:2rem;align-items:center}
.topbar a{color:#fff;text-decoration:none;font-weight:600}
.topbar ul{list-style:none;display:flex;gap:1.2rem;margin:0;padding:0}
.kruimelpad{padding:.5rem 1.5rem;font-size:.85rem;color:#555}
main{max-width:46rem;padding:0 1.5rem 2rem;float:left}
.meer{float:right;width:16rem;margin:2rem 1.5rem;padding:1rem;background:#f3f0ea}
.labels{list-style:none;padding:0;display:flex;gap:.4rem}
.label{background:#222;color:#fff;border-radius:1rem;padding:.1rem .7rem;font-size:.8rem}
footer{clear:both;background:#1d1d1b;color:#eee;padding:1.5rem}
footer a{color:#ffb199}
.cookiebanner{position:fixed;bottom:0;left:0;right:0;background:#fff;border-top:3px solid #ff5a36;padding:.8rem 1.5rem}
.video iframe{width:100%;aspect-ratio:16/9;border:0}
""".strip()


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def url_of(doc: mirrorlib.ContentDoc) -> str:
    if doc.section == PDF_SECTION:
        return f"/files/{doc.slug}.pdf"
    return f"/{doc.section}/{doc.slug}"


def key_of(doc: mirrorlib.ContentDoc) -> str:
    return f"{doc.section}/{doc.slug}"


def topbar() -> str:
    items = "".join(f'<li><a href="/{s}">{esc(t)}</a></li>' for s, (t, _) in SECTIONS.items())
    return (
        '<header class="topbar"><a class="logo" href="/">Debattle</a>'
        f'<nav class="hoofdnavigatie" aria-label="Hoofdnavigatie"><ul>{items}</ul></nav>'
        '<a class="zoek" href="/nieuws">Wat is er nieuw?</a></header>'
    )


COOKIES = (
    '<div class="cookiebanner" id="cookiemelding" role="dialog">'
    "<p>Debattle gebruikt cookies om anoniem te meten welke tools en filmpjes het meest "
    "bekeken worden.</p>"
    '<button type="button" class="cookie-ok">Aanvaarden</button> '
    '<button type="button" class="cookie-nee">Weigeren</button></div>'
)

FOOTER = (
    "<footer>"
    '<div class="adres"><strong>Debattle</strong> is een coproductie van Bataljong en De Ambrassade, '
    "met de VVSG als partner.<br>Redactie Debattle, Ravensteingalerij 27 bus 4, 1000 Brussel "
    '&middot; <a href="mailto:hallo@debattle.be">hallo@debattle.be</a></div>'
    '<form class="nieuwsbrief" action="#nieuwsbrief" method="post">'
    '<label for="nb-mail">Ontvang onze nieuwsbrief</label> '
    '<input type="email" id="nb-mail" name="email" placeholder="jouw@mail.be" required> '
    '<button type="submit">Inschrijven</button></form>'
    '<ul class="sociaal"><li><a href="https://www.instagram.com/debattle.be">Instagram</a></li>'
    '<li><a href="https://www.facebook.com/debattle.be">Facebook</a></li>'
    '<li><a href="https://www.youtube.com/@debattle">YouTube</a></li></ul>'
    '<p class="klein">&copy; Debattle &middot; <a href="/admin/">Redactie-login</a></p>'
    "</footer>"
)


def page(
    title: str,
    description: str,
    body: str,
    *,
    keywords: list[str] | None = None,
    robots: str | None = None,
    crumbs: list[tuple[str, str | None]] = (),
    aside: str = "",
    main_id: str = "inhoud",
) -> str:
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)} | {SITE_NAME}</title>",
        f'<meta name="description" content="{esc(description)}">',
    ]
    if keywords:
        head.append(f'<meta name="keywords" content="{esc(", ".join(keywords))}">')
    if robots:
        head.append(f'<meta name="robots" content="{esc(robots)}">')
    head.append(f"<style>{STYLE}</style>")
    trail = []
    for label, href in crumbs:
        trail.append(f'<a href="{href}">{esc(label)}</a>' if href else esc(label))
    kruimel = (
        f'<nav class="kruimelpad" aria-label="Kruimelpad">{" / ".join(trail)}</nav>'
        if trail
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="nl">\n<head>\n'
        + "\n".join(head)
        + "\n</head>\n<body>\n"
        + topbar()
        + "\n"
        + kruimel
        + "\n"
        + f'<main id="{main_id}">\n{body}\n</main>\n'
        + aside
        + "\n"
        + FOOTER
        + "\n"
        + COOKIES
        + "\n</body>\n</html>\n"
    )


def related(doc, docs) -> list:
    """3-5 other documents: most shared themes first, then closest in time."""
    themes = set(doc.meta.get("themes", []))
    cands = [d for d in docs if d is not doc and key_of(d) not in HIDDEN]

    def score(d):
        shared = len(themes & set(d.meta.get("themes", [])))
        return (-shared, d.section == doc.section, abs(int(d.date[:4]) - int(doc.date[:4])), d.slug)

    return sorted(cands, key=score)[:4]


def aside_for(doc, docs) -> str:
    items = "".join(
        f'<li><a href="{url_of(d)}">{esc(d.title)}</a></li>' for d in related(doc, docs)
    )
    return f'<aside class="meer"><h2>Meer van Debattle</h2><ul>{items}</ul></aside>'


def render_doc(doc, docs, pdf_docs) -> str:
    section_title = SECTIONS[doc.section][0]
    meta = doc.meta
    parts = [f"<h1>{esc(doc.title)}</h1>"]
    parts.append(
        f'<p class="meta"><time datetime="{meta["date"]}">{mirrorlib.dutch_date(meta["date"])}</time></p>'
    )
    labels = "".join(f'<li class="label label-doelgroep">{esc(a)}</li>' for a in meta["audience"])
    parts.append(f'<ul class="labels">{labels}</ul>')
    if meta.get("video"):
        parts.append(
            f'<div class="video"><iframe src="{esc(meta["video"])}" title="{esc(doc.title)}" '
            'width="560" height="315" allow="encrypted-media; picture-in-picture" '
            "allowfullscreen></iframe></div>"
        )
    parts.append(mirrorlib.markdown_to_html(doc.body))
    if meta.get("pdf"):
        pdf_doc = pdf_docs[meta["pdf"]]
        parts.append(
            f'<p class="download"><a href="{esc(meta["pdf"])}">Download de volledige publicatie '
            f"als PDF</a> ({pdf_doc.words} woorden).</p>"
        )
    robots = "nofollow" if key_of(doc) in NOFOLLOW else None
    return page(
        doc.title,
        meta["description"],
        "\n".join(parts),
        keywords=meta["themes"],
        robots=robots,
        crumbs=[("Home", "/"), (section_title, f"/{doc.section}"), (doc.title, None)],
        aside=aside_for(doc, docs),
    )


def teaser(doc) -> str:
    return (
        f'<li class="teaser"><a href="{url_of(doc)}">{esc(doc.title)}</a> '
        f'<time datetime="{doc.date}">{mirrorlib.dutch_date(doc.date)}</time>'
        f"<p>{esc(doc.meta['description'])}</p></li>"
    )


def render_listing(section, docs) -> str:
    title, intro = SECTIONS[section]
    items = "".join(teaser(d) for d in sorted(docs, key=lambda d: d.date, reverse=True))
    body = f'<h1>{esc(title)}</h1>\n<p class="intro">{esc(intro)}</p>\n<ul class="overzicht">{items}</ul>'
    return page(title, intro, body, crumbs=[("Home", "/"), (title, None)], main_id="overzicht")


def render_home(by_section) -> str:
    blocks = [
        "<h1>Debattle: jouw gemeente, jouw stem</h1>",
        '<p class="intro">Debattle wil dat jongeren zich thuis voelen in hun stad of gemeente en er '
        "evenveel te zeggen hebben als thuis. Je vindt hier visieteksten, tools, filmpjes en materiaal "
        "om met groepen jongeren rond inspraak en beleidsparticipatie te werken.</p>",
    ]
    for section, (title, intro) in SECTIONS.items():
        latest = sorted(by_section.get(section, []), key=lambda d: d.date, reverse=True)[:3]
        items = "".join(teaser(d) for d in latest)
        blocks.append(
            f'<section class="blok"><h2><a href="/{section}">{esc(title)}</a></h2>'
            f"<p>{esc(intro)}</p><ul>{items}</ul></section>"
        )
    return page(
        "Home",
        "Debattle helpt jongeren hun stem te laten horen in hun stad of gemeente.",
        "\n".join(blocks),
        main_id="start",
    )


def render_admin() -> str:
    body = (
        "<h1>Redactie-login</h1><p>Deze pagina is enkel bedoeld voor de redactie van Debattle.</p>"
        '<form method="post" action="#login"><input type="text" name="gebruiker"> '
        '<input type="password" name="wachtwoord"> <button type="submit">Aanmelden</button></form>'
    )
    return page(
        "Redactie-login",
        "Aanmelden voor de redactie.",
        body,
        robots="noindex, nofollow",
        crumbs=[("Home", "/"), ("Redactie", None)],
        main_id="admin",
    )


def main() -> None:
    if SITE_DIR.exists():
        shutil.rmtree(SITE_DIR)
    SITE_DIR.mkdir(parents=True)
    all_docs = mirrorlib.load_docs(CONTENT_DIR)
    pdf_docs = {url_of(d): d for d in all_docs if d.section == PDF_SECTION}
    html_docs = [d for d in all_docs if d.section in SECTIONS]
    unknown = [d for d in all_docs if d.section not in SECTIONS and d.section != PDF_SECTION]
    if unknown:
        raise SystemExit(f"content files outside known sections: {unknown}")
    for d in html_docs:
        if d.meta.get("pdf") and d.meta["pdf"] not in pdf_docs:
            raise SystemExit(f"{d.source_file}: no PDF content for {d.meta['pdf']}")
    for url, d in pdf_docs.items():
        mirrorlib.write_pdf(d, mirrorlib.url_path_to_file(SITE_DIR, url), PUBLISHER)

    by_section: dict[str, list] = {}
    for d in html_docs:
        mirrorlib.write_page(SITE_DIR, url_of(d), render_doc(d, html_docs, pdf_docs))
        if key_of(d) not in HIDDEN:
            by_section.setdefault(d.section, []).append(d)
    for section in SECTIONS:
        mirrorlib.write_page(
            SITE_DIR, f"/{section}", render_listing(section, by_section.get(section, []))
        )
    mirrorlib.write_page(SITE_DIR, "/", render_home(by_section))
    mirrorlib.write_page(SITE_DIR, "/admin/", render_admin())

    (SITE_DIR / "robots.txt").write_text(
        f"User-agent: *\nDisallow: /admin/\n\nSitemap: {BASE_URL}/sitemap.xml\n", encoding="utf-8"
    )
    entries = [("/", max(d.meta.get("modified", d.date) for d in html_docs))]
    entries += [
        (f"/{s}", max(d.meta.get("modified", d.date) for d in by_section[s])) for s in SECTIONS
    ]
    indexable = [d for d in all_docs if key_of(d) not in HIDDEN]
    for d in sorted(indexable, key=url_of):
        entries.append((url_of(d), d.meta.get("modified", d.date)))
    mirrorlib.write_sitemap(SITE_DIR, BASE_URL, entries)
    print(
        f"debattle: {len(indexable)} documents ({len(pdf_docs)} PDF), "
        f"{len(HIDDEN)} hidden, written to {SITE_DIR.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
