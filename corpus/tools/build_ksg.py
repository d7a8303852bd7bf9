"""Build the offline mirror of kindvriendelijkestedenengemeenten.be (short name: ksg).

Run from the repository root:

    /tmp/kbvenv/bin/python corpus/tools/build_ksg.py

The script deletes `corpus/sites/kindvriendelijkestedenengemeenten.be/` and rewrites it
from the content files in `corpus/tools/content/kindvriendelijkestedenengemeenten.be/`.

Template ("custom CMS"): every document page has its text in
`<article class="artikel">`, themes in `<p class="thema">Thema: ...</p>`, audience in
`<p class="doelgroep">Doelgroep: ...</p>` and the date only as text in
`<p class="laatste-update">Laatste update: 26 juni 2023</p>` (no date meta tags).

Content layout:
- `<section>/<slug>.txt` for visie, aan-de-slag, inspiratie, filmpjes, nieuws, publicaties;
- `media/publicaties/<slug>.txt`: full text of a publication that is rendered as a PDF at
  `/media/publicaties/<slug>.pdf`; the HTML landing page `publicaties/<slug>.txt` carries
  `pdf = "/media/publicaties/<slug>.pdf"` and summarises it.

Edge cases:
1. robots.txt with `Crawl-delay: 2` and `Disallow: /zoeken` (the search page `/zoeken` exists
   and is linked from every page, but must not be crawled).
2. Canonical duplicate: the praktijkvoorbeeld DUPLICATE_SLUG is also published as a news item
   at `/nieuws/<yyyy>/<slug>.html`; both pages carry the same canonical link to the
   `/inspiratie/` URL.
"""

from __future__ import annotations

import html
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import mirrorlib  # noqa: E402
from mirrorlib import ContentDoc, dutch_date, markdown_to_html, write_page  # noqa: E402

HOST = "kindvriendelijkestedenengemeenten.be"
BASE_URL = f"https://{HOST}"
SITE_NAME = "Kindvriendelijke Steden en Gemeenten"
PUBLISHER = "Bataljong vzw - Kindvriendelijke Steden en Gemeenten"
TOOLS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TOOLS_DIR.parent.parent
CONTENT_DIR = TOOLS_DIR / "content" / HOST
SITE_DIR = REPO_ROOT / "corpus" / "sites" / HOST

# (folder, label in the navigation, document type, intro of the listing page)
SECTIONS = [
    ("visie", "Visie", "visietekst",
     "Waarom kiest een lokaal bestuur voor kindvriendelijkheid? Visieteksten over kinderrechten, "
     "ruimte en participatie van kinderen en jongeren."),
    ("aan-de-slag", "Aan de slag", "methodiek",
     "Methodieken, checklists en sjablonen om in je eigen stad of gemeente meteen aan de slag "
     "te gaan."),
    ("inspiratie", "Inspiratie", "praktijkvoorbeeld",
     "Praktijkvoorbeelden uit steden en gemeenten die bouwen aan een kindvriendelijke "
     "leefomgeving."),
    ("filmpjes", "Filmpjes", "filmpje",
     "Korte filmpjes over kindvriendelijke steden en gemeenten, om te tonen op je college of "
     "jeugdraad."),
    ("nieuws", "Nieuws", "nieuws",
     "Nieuws over het label, vormingen, oproepen en nieuwe regelgeving."),
    ("publicaties", "Publicaties", "publicatie",
     "Publicaties, dossiers en onderzoeksrapporten om te lezen, te downloaden en te delen."),
]  # fmt: skip
SECTION_LABEL = {s[0]: s[1] for s in SECTIONS}
SECTION_TYPE = {s[0]: s[2] for s in SECTIONS}

# Edge case 2: this praktijkvoorbeeld is also published under /nieuws/<yyyy>/<slug>.html.
DUPLICATE_SLUG = "speelstraten-heel-de-zomer-in-kempenhout"


# --------------------------------------------------------------------------- URLs


def doc_url(doc: ContentDoc) -> str:
    if doc.section == "nieuws":
        return f"/nieuws/{doc.date[:4]}/{doc.slug}.html"
    return f"/{doc.section}/{doc.slug}.html"


def duplicate_url(doc: ContentDoc) -> str:
    return f"/nieuws/{doc.date[:4]}/{doc.slug}.html"


def last_update(doc: ContentDoc) -> str:
    return doc.meta.get("modified") or doc.date


# --------------------------------------------------------------------------- template

STYLE = """
body{font-family:Verdana,Arial,sans-serif;margin:0;color:#222;background:#fffdf6}
.wrapper{max-width:1100px;margin:0 auto;padding:0 1rem}
.site-header{border-bottom:4px solid #f39200;padding:.8rem 0}
.site-header .logo{font-weight:bold;font-size:1.3rem;color:#e2007a;text-decoration:none}
.hoofdmenu ul{list-style:none;padding:0;display:flex;gap:1rem;flex-wrap:wrap}
.kruimelpad{font-size:.85rem;color:#666}
.kolommen{display:flex;gap:2rem;margin:1.5rem 0}
.artikel,.overzicht{flex:3}
.zijbalk{flex:1;background:#fff3e0;padding:1rem;font-size:.9rem}
.thema,.doelgroep,.laatste-update{font-size:.85rem;color:#555}
.cookie-banner{background:#333;color:#fff;padding:.7rem 1rem}
.site-footer{border-top:2px solid #e2007a;margin-top:2rem;padding:1rem 0;font-size:.85rem}
.video iframe{width:100%;max-width:720px;aspect-ratio:16/9;border:0}
""".strip()


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def header(crumbs: list[tuple[str, str | None]]) -> str:
    nav = "".join(
        f'<li><a href="/{folder}/">{esc(label)}</a></li>' for folder, label, *_ in SECTIONS
    )
    parts = []
    for label, url in crumbs:
        parts.append(f'<a href="{url}">{esc(label)}</a>' if url else f"<span>{esc(label)}</span>")
    trail = " &rsaquo; ".join(parts)
    return f"""<header class="site-header">
  <a class="logo" href="/">Kindvriendelijke Steden en Gemeenten</a>
  <nav class="hoofdmenu" aria-label="Hoofdmenu"><ul><li><a href="/">Home</a></li>{nav}</ul></nav>
  <form class="zoekveld" action="/zoeken" method="get" role="search">
    <label for="q">Zoeken</label> <input type="search" id="q" name="q">
    <button type="submit">Zoek</button>
  </form>
  <nav class="kruimelpad" aria-label="Kruimelpad">{trail}</nav>
</header>"""


COOKIE_BANNER = """<div class="cookie-banner" id="cookiebanner" role="dialog" aria-label="Cookies">
  <p>Wij gebruiken cookies om deze website te verbeteren.
  Filmpjes laden pas na jouw toestemming.</p>
  <button type="button" class="cookie-ok">Aanvaarden</button>
  <button type="button" class="cookie-nee">Weigeren</button>
</div>"""

FOOTER = """<footer class="site-footer">
  <div class="adres">
    <address>Bataljong vzw &ndash; Kindvriendelijke Steden en Gemeenten<br>
    Speelpleinstraat 12 bus 3, 1000 Brussel<br>
    info@kindvriendelijkestedenengemeenten.be &ndash; 02 000 12 34</address>
  </div>
  <form class="nieuwsbrief" action="/nieuwsbrief-bedankt.html" method="post">
    <label for="nb-mail">Nieuwsbrief</label>
    <input type="email" id="nb-mail" name="email" placeholder="jouw e-mailadres" required>
    <button type="submit">Inschrijven</button>
  </form>
  <ul class="sociaal">
    <li><a href="https://www.facebook.com/kindvriendelijkestedenengemeenten">Facebook</a></li>
    <li><a href="https://www.instagram.com/kindvriendelijkegemeenten">Instagram</a></li>
    <li><a href="https://www.linkedin.com/company/bataljong">LinkedIn</a></li>
  </ul>
  <p class="kleine-letters"><a href="/zoeken">Zoeken</a> &middot;
  <a href="/privacy.html">Privacy en cookies</a></p>
</footer>"""


def page(title: str, description: str, crumbs, main_html: str, head_extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} | {SITE_NAME}</title>
<meta name="description" content="{esc(description)}">
{head_extra}<style>
{STYLE}
</style>
</head>
<body>
{COOKIE_BANNER}
<div class="wrapper"> {header(crumbs)}
<div class="kolommen">
{main_html}
</div> {FOOTER}</div>
</body>
</html>
"""


# --------------------------------------------------------------------------- related links


def related_docs(doc: ContentDoc, docs: list[ContentDoc], n: int = 4) -> list[ContentDoc]:
    themes = set(doc.meta["themes"])
    candidates = [d for d in docs if d is not doc]

    def score(d: ContentDoc):
        shared = len(themes & set(d.meta["themes"]))
        other_section = d.section != doc.section
        return (-shared, not other_section, abs(int(d.date[:4]) - int(doc.date[:4])), d.slug)

    ranked = sorted(candidates, key=score)
    chosen: list[ContentDoc] = []
    seen_sections: dict[str, int] = {}
    for d in ranked:
        if seen_sections.get(d.section, 0) >= 2:
            continue
        chosen.append(d)
        seen_sections[d.section] = seen_sections.get(d.section, 0) + 1
        if len(chosen) == n:
            break
    return chosen


def sidebar(doc: ContentDoc, docs: list[ContentDoc]) -> str:
    items = "".join(
        f'<li><a href="{doc_url(d)}">{esc(d.title)}</a></li>' for d in related_docs(doc, docs)
    )
    return (
        '<aside class="zijbalk">\n  <h2>Lees ook</h2>\n'
        f"  <ul>{items}</ul>\n"
        '  <p>Vragen? Mail naar <a href="mailto:info@kindvriendelijkestedenengemeenten.be">'
        "info@kindvriendelijkestedenengemeenten.be</a>.</p>\n</aside>"
    )


# --------------------------------------------------------------------------- pages


def article_html(doc: ContentDoc, docs: list[ContentDoc], pdf_sizes: dict[str, int]) -> str:
    parts = [f"<h1>{esc(doc.title)}</h1>"]
    parts.append(f'<p class="thema">Thema: {esc(", ".join(doc.meta["themes"]))}</p>')
    parts.append(f'<p class="doelgroep">Doelgroep: {esc(", ".join(doc.meta["audience"]))}</p>')
    if doc.meta.get("video"):
        parts.append(
            '<div class="video"><iframe src="'
            + esc(doc.meta["video"])
            + '" title="'
            + esc(doc.title)
            + '" allow="accelerometer; encrypted-media; picture-in-picture" '
            'allowfullscreen loading="lazy"></iframe></div>'
        )
    parts.append(markdown_to_html(doc.body))
    if doc.meta.get("pdf"):
        pdf_path = doc.meta["pdf"]
        kb = max(1, round(pdf_sizes.get(pdf_path, 0) / 1024))
        parts.append(
            f'<p class="download"><a href="{esc(pdf_path)}">Download de volledige publicatie '
            f"(PDF, {kb} kB)</a></p>"
        )
    parts.append(f'<p class="laatste-update">Laatste update: {dutch_date(last_update(doc))}</p>')
    art = '<article class="artikel">\n  ' + "\n  ".join(parts) + "\n</article>"
    return art + "\n" + sidebar(doc, docs)


def render_doc(doc: ContentDoc, docs, pdf_sizes, url: str, crumbs, canonical: str | None) -> None:
    head_extra = f'<link rel="canonical" href="{BASE_URL}{canonical}">\n' if canonical else ""
    text = page(doc.title, doc.meta["description"], crumbs,
                article_html(doc, docs, pdf_sizes), head_extra)  # fmt: skip
    write_page(SITE_DIR, url, text)


def listing_item(doc: ContentDoc, url: str | None = None) -> str:
    return (
        f'<li class="teaser"><a href="{url or doc_url(doc)}">{esc(doc.title)}</a>'
        f'<span class="datum"> &ndash; {dutch_date(doc.date)}</span>'
        f"<p>{esc(doc.meta['description'])}</p></li>"
    )


def render_listing(folder: str, label: str, intro: str, items: list[str]) -> None:
    main = (
        f'<main class="overzicht">\n  <h1>{esc(label)}</h1>\n  <p class="intro">{esc(intro)}</p>\n'
        f'  <ul class="teasers">{"".join(items)}</ul>\n</main>\n'
        '<aside class="zijbalk"><h2>Het label</h2><p>Wil je als stad of gemeente het label '
        '<a href="/visie/wat-is-een-kindvriendelijke-stad-of-gemeente.html">kindvriendelijke '
        "stad of gemeente</a> behalen? Lees eerst onze visie.</p></aside>"
    )
    write_page(SITE_DIR, f"/{folder}/",
               page(label, intro, [("Home", "/"), (label, None)], main))  # fmt: skip


def render_home(docs: list[ContentDoc]) -> None:
    blocks = []
    for folder, label, _typ, _intro in SECTIONS:
        latest = sorted((d for d in docs if d.section == folder), key=lambda d: d.date,
                        reverse=True)[:3]  # fmt: skip
        items = "".join(listing_item(d) for d in latest)
        blocks.append(
            f'<section class="blok"><h2><a href="/{folder}/">{esc(label)}</a></h2>'
            f"<ul>{items}</ul></section>"
        )
    intro = (
        "Op deze website vind je alles over het bouwen aan een kind- en jeugdvriendelijke stad of "
        "gemeente: een lokaal bestuur dat werk maakt van alle rechten van het kind."
    )
    main = (
        f'<main class="overzicht">\n  <h1>Welkom bij {SITE_NAME}</h1>\n'
        f'  <p class="intro">{intro}</p>\n  ' + "\n  ".join(blocks) + "\n</main>\n"
        '<aside class="zijbalk"><h2>Snel naar</h2><ul>'
        '<li><a href="/aan-de-slag/">Methodieken</a></li>'
        '<li><a href="/publicaties/">Publicaties</a></li></ul></aside>'
    )
    write_page(SITE_DIR, "/", page("Home", intro, [("Home", None)], main))


def render_static(url: str, title: str, paragraphs: list[str]) -> None:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    main = f'<main class="overzicht"><h1>{esc(title)}</h1>{body}</main>'
    write_page(SITE_DIR, url, page(title, paragraphs[0], [("Home", "/"), (title, None)], main))


# --------------------------------------------------------------------------- build


def build() -> None:
    all_docs = mirrorlib.load_docs(CONTENT_DIR)
    pdf_docs = {f"/media/publicaties/{d.slug}.pdf": d for d in all_docs if d.section == "media"}
    docs = [d for d in all_docs if d.section != "media"]
    for d in docs:
        expected = SECTION_TYPE.get(d.section)
        if expected != d.meta["type"]:
            raise ValueError(f"{d.source_file}: type {d.meta['type']!r} in folder {d.section!r}")

    if SITE_DIR.exists():
        shutil.rmtree(SITE_DIR)
    SITE_DIR.mkdir(parents=True)

    # PDFs first (the landing pages show their size).
    pdf_sizes: dict[str, int] = {}
    for pdf_path, d in pdf_docs.items():
        target = mirrorlib.url_path_to_file(SITE_DIR, pdf_path)
        mirrorlib.write_pdf(d, target, PUBLISHER)
        pdf_sizes[pdf_path] = target.stat().st_size
    for d in docs:
        if d.meta.get("pdf") and d.meta["pdf"] not in pdf_docs:
            raise ValueError(f"{d.source_file}: no PDF content for {d.meta['pdf']}")

    sitemap: list[tuple[str, str]] = []
    by_slug = {d.slug: d for d in docs}
    for d in docs:
        label = SECTION_LABEL[d.section]
        crumbs = [("Home", "/"), (label, f"/{d.section}/"), (d.title, None)]
        canonical = doc_url(d) if d.slug == DUPLICATE_SLUG else None
        render_doc(d, docs, pdf_sizes, doc_url(d), crumbs, canonical)
        sitemap.append((doc_url(d), last_update(d)))
    for pdf_path, d in pdf_docs.items():
        sitemap.append((pdf_path, last_update(d)))

    # Edge case 2: the same praktijkvoorbeeld, also published as a news item.
    dup = by_slug[DUPLICATE_SLUG]
    dup_crumbs = [("Home", "/"), ("Nieuws", "/nieuws/"), (dup.title, None)]
    render_doc(dup, docs, pdf_sizes, duplicate_url(dup), dup_crumbs, doc_url(dup))

    for folder, label, _typ, intro in SECTIONS:
        section_docs = sorted((d for d in docs if d.section == folder), key=lambda d: d.date,
                              reverse=True)  # fmt: skip
        items = [(d.date, listing_item(d)) for d in section_docs]
        if folder == "nieuws":
            items.append((dup.date, listing_item(dup, duplicate_url(dup))))
            items.sort(key=lambda x: x[0], reverse=True)
        render_listing(folder, label, intro, [i for _, i in items])

    render_home(docs)
    render_static("/zoeken", "Zoeken", [
        "Zoekresultaten worden op deze pagina getoond. Typ een zoekterm in het zoekveld bovenaan.",
        "Geen resultaten gevonden voor je zoekopdracht.",
    ])  # fmt: skip
    render_static("/privacy.html", "Privacy en cookies", [
        "Bataljong vzw verwerkt je gegevens enkel om je de nieuwsbrief te sturen en je vragen te "
        "beantwoorden. Je kan je altijd uitschrijven.",
        "Vragen over privacy? Mail naar privacy@kindvriendelijkestedenengemeenten.be.",
    ])  # fmt: skip
    render_static("/nieuwsbrief-bedankt.html", "Bedankt voor je inschrijving", [
        "Je bent ingeschreven op de nieuwsbrief van Kindvriendelijke Steden en Gemeenten.",
    ])  # fmt: skip

    # Edge case 1: crawl-delay and a disallowed search page.
    (SITE_DIR / "robots.txt").write_text(
        f"User-agent: *\nCrawl-delay: 2\nDisallow: /zoeken\nSitemap: {BASE_URL}/sitemap.xml\n",
        encoding="utf-8",
    )
    mirrorlib.write_sitemap(SITE_DIR, BASE_URL, sorted(sitemap))
    print(f"{HOST}: {len(docs)} HTML documents, {len(pdf_docs)} PDFs -> {SITE_DIR}")


if __name__ == "__main__":
    build()
