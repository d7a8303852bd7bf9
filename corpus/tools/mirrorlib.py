"""Shared helpers for the scripts that generate the bundled sample mirror.

Each partner site has its own build script (`build_<site>.py`) with its own page
template; this module holds what they share: reading the content files, turning
the small Markdown subset into HTML, writing pages, sitemaps and PDFs.

Content file format (UTF-8), one document per file::

    +++
    title = "..."
    type = "praktijkvoorbeeld"
    date = "2023-06-26"
    themes = ["jeugdraad"]
    audience = ["jeugdambtenaar"]
    description = "..."
    +++
    A paragraph.

    ## A heading

    - a bullet
    1. a numbered step

Inline: **bold**, *italic*, [label](url).
"""

from __future__ import annotations

import html
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MONTHS_NL = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip


@dataclass
class ContentDoc:
    """One document of the sample corpus, as written in a content file."""

    slug: str
    section: str
    meta: dict
    body: str
    source_file: Path
    extra: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.meta["title"]

    @property
    def date(self) -> str:
        return self.meta["date"]

    @property
    def words(self) -> int:
        return len(re.findall(r"\w+", self.body))


def load_docs(content_dir: Path) -> list[ContentDoc]:
    """Read every `*.txt` content file below `content_dir`, sorted by path."""
    docs = []
    for path in sorted(content_dir.rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        m = re.match(r"\+\+\+\n(.*?)\n\+\+\+\n(.*)", text, re.S)
        if not m:
            raise ValueError(f"{path}: missing +++ front matter")
        meta = tomllib.loads(m.group(1))
        rel = path.relative_to(content_dir)
        section = rel.parts[0] if len(rel.parts) > 1 else ""
        docs.append(ContentDoc(path.stem, section, meta, m.group(2).strip(), path))
    return docs


def dutch_date(iso: str) -> str:
    """'2023-06-26' -> '26 juni 2023'."""
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{d} {MONTHS_NL[m - 1]} {y}"


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<!\*)\*(?!\*)(.+?)\*", r"<em>\1</em>", out)
    return re.sub(
        r"\[([^\]]+)\]\(([^)]+)\)",
        lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>',
        out,
    )


def markdown_to_html(body: str) -> str:
    """Render the Markdown subset used by the content files."""
    blocks = re.split(r"\n\s*\n", body.strip())
    out = []
    for block in blocks:
        lines = [ln.rstrip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        first = lines[0]
        if first.startswith("### "):
            out.append(f"<h3>{_inline(first[4:])}</h3>")
            lines = lines[1:]
        elif first.startswith("## "):
            out.append(f"<h2>{_inline(first[3:])}</h2>")
            lines = lines[1:]
        if not lines:
            continue
        if all(ln.lstrip().startswith("- ") for ln in lines):
            items = "".join(f"<li>{_inline(ln.lstrip()[2:])}</li>" for ln in lines)
            out.append(f"<ul>{items}</ul>")
        elif all(re.match(r"\s*\d+\. ", ln) for ln in lines):
            steps = [re.sub(r"^\s*\d+\. ", "", ln) for ln in lines]
            items = "".join(f"<li>{_inline(step)}</li>" for step in steps)
            out.append(f"<ol>{items}</ol>")
        else:
            out.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "\n".join(out)


def plain_paragraphs(body: str) -> list[tuple[str, str]]:
    """The body as (kind, text) blocks for non-HTML renderers (PDF)."""
    result = []
    for block in re.split(r"\n\s*\n", body.strip()):
        for ln in block.splitlines():
            ln = ln.strip()
            if not ln:
                continue
            if ln.startswith("#"):
                result.append(("heading", ln.lstrip("#").strip()))
            elif ln.startswith("- "):
                result.append(("bullet", ln[2:]))
            else:
                result.append(("text", re.sub(r"[*]|\[([^\]]+)\]\([^)]+\)", r"\1", ln)))
    return result


def url_path_to_file(site_dir: Path, url_path: str) -> Path:
    """Map a URL path onto the mirror folder (the mirror server does the reverse).

    '/visie/' -> visie/index.html; '/nl/x' -> nl/x.html; '/a/b.pdf' -> a/b.pdf
    """
    rel = url_path.lstrip("/")
    if rel == "" or rel.endswith("/"):
        return site_dir / rel / "index.html"
    if "." in rel.rsplit("/", 1)[-1]:
        return site_dir / rel
    return site_dir / f"{rel}.html"


def write_page(site_dir: Path, url_path: str, text: str, encoding: str = "utf-8") -> Path:
    target = url_path_to_file(site_dir, url_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode(encoding))
    return target


def write_sitemap(site_dir: Path, base_url: str, entries: list[tuple[str, str]]) -> None:
    """entries: (url_path, lastmod ISO date)."""
    rows = "\n".join(
        f"  <url><loc>{html.escape(base_url.rstrip('/') + p)}</loc>"
        f"<lastmod>{lastmod}</lastmod></url>"
        for p, lastmod in entries
    )
    (site_dir / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}\n</urlset>\n",
        encoding="utf-8",
    )


def _latin1(text: str) -> str:
    # The PDF core fonts are Latin-1: replace typographic characters outside it.
    table = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
             "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u20ac": "EUR"}  # fmt: skip
    text = "".join(table.get(c, c) for c in text)
    return text.encode("latin-1", "replace").decode("latin-1")


def write_pdf(doc: ContentDoc, target: Path, publisher: str) -> None:
    """Render a content document as a real, text-extractable PDF (fpdf2)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(_latin1(doc.title))
    pdf.set_author(_latin1(publisher))
    pdf.set_subject(_latin1(doc.meta.get("description", "")))
    pdf.set_keywords(_latin1(", ".join(doc.meta.get("themes", []))))
    y, m, d = (int(x) for x in doc.date.split("-"))
    import datetime as _dt

    pdf.set_creation_date(_dt.datetime(y, m, d, tzinfo=_dt.UTC))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _latin1(doc.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(
        0, 6, _latin1(f"{publisher} - {dutch_date(doc.date)}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    for kind, text in plain_paragraphs(doc.body):
        if kind == "heading":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 7, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        elif kind == "bullet":
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 6, _latin1("- " + text), new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    target.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(target))
