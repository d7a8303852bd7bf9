"""Extraction: a fetched response becomes a `Document` plus what the crawler needs
to go on (links, canonical URL, robots directives).

HTML: main text from the source's content container (a CSS selector in
sources.toml) with navigation, banners, footers and sidebars removed. Where no
selector is configured or it matches nothing, the generic path runs: trafilatura
tuned for precision (comments off), falling back to the page's `<main>`/`<article>`
when trafilatura finds nothing. Metadata comes from rules in sources.toml (`css:`,
`meta:`, `label:`, `text:`) with generic fall-backs, whichever path gave the text.
PDF: text with pypdf, title from metadata or first line.

`Extracted.method` says which path gave the text and `selector_missed` whether a
configured selector matched nothing (crawler/health.py counts both per source).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

import charset_normalizer
from bs4 import BeautifulSoup, Tag
from lxml import etree

from .config import CrawlSettings, Source
from .store import Document, utcnow
from .urls import BadURL, normalize

log = logging.getLogger(__name__)

# Deeper than any real page (Chromium's HTML parser stops nesting at 512). Beautiful
# Soup builds one Python object per open element, so a page nested 100,000 levels
# deep would take tens of seconds and hundreds of megabytes; it is refused first.
MAX_NESTING = 400

MONTHS = {
    "januari": 1, "februari": 2, "maart": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7,
    "augustus": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mrt": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "okt": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_DUTCH_DATE = re.compile(r"\b(\d{1,2})\s+([a-z]{3,9})\.?\s+((?:19|20)\d\d)\b", re.I)
_ISO_DATE = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d\d)\b")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Elements that are never main content, whatever container holds them.
_BOILERPLATE = (
    "script, style, noscript, template, nav, aside, footer, form, iframe, header, button, "
    "[role=navigation], [role=banner], [role=contentinfo], [aria-hidden=true], "
    ".cookie, .cookies, .cookie-banner, #cookie-banner, .breadcrumb, .breadcrumbs, "
    ".kruimelpad, .share, .social, .sidebar, .related, .entry-footer, .entry-meta"
)
_BLOCKS = {
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "tr",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "figcaption",
    "td",
    "th",
}


class ExtractError(Exception):
    """A response could not be turned into a document."""

    kind = "extract"


class BinaryContent(ExtractError):
    """Bytes that are not text, whatever the Content-Type header claims."""

    kind = "binary"


# C0 controls other than tab, newline, form feed and carriage return, and the
# replacement character: text never has many; a binary file decoded as text does.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
MAX_NOT_TEXT_SHARE = 0.05


def check_is_text(html: str) -> None:
    """Raise BinaryContent when the decoded page is mostly not text."""
    sample = html[:65536]
    if sample and len(_NOT_TEXT.findall(sample)) > MAX_NOT_TEXT_SHARE * len(sample):
        raise BinaryContent("binary content served as text/html")


class _TooDeep(Exception):
    pass


class _DepthGauge:
    """An lxml parser target that only counts open elements (a fast C-driven scan)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.depth = 0

    def start(self, tag, attrib) -> None:
        self.depth += 1
        if self.depth > self.limit:
            raise _TooDeep

    def end(self, tag) -> None:
        self.depth -= 1

    def data(self, data) -> None:
        pass

    def close(self) -> None:
        return None


def check_nesting(html: str, limit: int = MAX_NESTING) -> None:
    """Raise ExtractError when elements nest deeper than `limit`."""
    parser = etree.HTMLParser(target=_DepthGauge(limit), recover=True)
    try:
        parser.feed(html)
        parser.close()
    except _TooDeep:
        raise ExtractError(f"elements nested deeper than {limit} levels") from None
    except etree.LxmlError:  # not parseable at all: Beautiful Soup copes with that
        return


# How the main text was found: the configured selector, the generic path
# (trafilatura), or, where trafilatura finds nothing, a `<main>`/`<article>` container.
METHOD_SELECTOR = "selector"
METHOD_GENERIC = "generic"
METHOD_CONTAINER = "container"


@dataclass
class Extracted:
    """What the crawler learns from one response."""

    document: Document | None
    links: list[str] = field(default_factory=list)
    canonical: str | None = None
    noindex: bool = False
    nofollow: bool = False
    method: str = ""
    selector_missed: bool = False


def decode_html(body: bytes, content_type_header: str) -> str:
    """Decode with the charset from the header, then a meta tag, then detection."""
    candidates = []
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type_header or "", re.I)
    if m:
        candidates.append(m.group(1))
    m2 = _META_CHARSET.search(body[:8192])
    if m2:
        candidates.append(m2.group(1).decode("ascii", "ignore"))
    for name in candidates:
        name = name.lower()
        # Browsers treat Latin-1 labels as windows-1252; so must we.
        if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
            name = "windows-1252"
        try:
            return body.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Undeclared and not UTF-8: browsers fall back to the locale's legacy encoding,
    # windows-1252 for Dutch (WHATWG encoding sniffing). Statistical detection alone
    # mistakes short Dutch texts for DOS code pages (ü -> ³), so it is only the last
    # resort, for bytes windows-1252 does not define.
    try:
        return body.decode("windows-1252")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(body[:1_000_000]).best()
        return str(best) if best is not None else body.decode("windows-1252", "replace")


def content_hash(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def document_hash(doc: Document) -> str:
    """The content hash of an HTML document: what a change of the page means."""
    return content_hash(
        doc.title,
        doc.description,
        doc.text,
        ",".join(doc.themes),
        ",".join(doc.audience),
        doc.date or "",
        doc.doc_type,
    )


def parse_date(text: str) -> str | None:
    """First date in `text` as YYYY-MM-DD: ISO, '26 juni 2023' or '26/06/2023'."""
    if not text:
        return None
    for regex, order in ((_ISO_DATE, "ymd"), (_DUTCH_DATE, "dMy"), (_NUMERIC_DATE, "dmy")):
        m = regex.search(text)
        if not m:
            continue
        try:
            if order == "ymd":
                y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            elif order == "dMy":
                mo = MONTHS.get(m.group(2).lower().rstrip("."), 0)
                y, d = int(m.group(3)), int(m.group(1))
            else:
                y, mo, d = int(m.group(3)), int(m.group(2)), int(m.group(1))
            return datetime(y, mo, d).strftime("%Y-%m-%d")
        except ValueError:
            continue
    return None


def _block_text(node: Tag) -> str:
    """Text of a node with line breaks at block boundaries, whitespace collapsed."""
    for br in node.find_all(["br"]):
        br.replace_with("\n")
    for el in node.find_all(_BLOCKS):
        el.insert_before("\n")
        el.insert_after("\n")
    lines = (" ".join(line.split()) for line in node.get_text().splitlines())
    return "\n".join(line for line in lines if line)


_EMBEDS = (
    (re.compile(r"^(?:https?:)?//(?:www\.)?youtube(?:-nocookie)?\.com/embed/([\w-]+)"),
     "https://www.youtube.com/watch?v={}"),
    (re.compile(r"^(?:https?:)?//player\.vimeo\.com/video/(\d+)"), "https://vimeo.com/{}"),
)  # fmt: skip


def _video(iframe: Tag, page_title: str) -> dict | None:
    """An embedded video as its title and the video site's own page (not the player),
    so the reader follows a plain link instead of loading a third-party player."""
    src = (iframe.get("src") or "").strip()
    for pattern, page in _EMBEDS:
        m = pattern.match(src)
        if m:
            title = " ".join((iframe.get("title") or page_title).split())
            return {"title": title[:300], "url": page.format(m.group(1))}
    return None


def _split_values(text: str) -> list[str]:
    return [v.strip(" .;:") for v in re.split(r"[,;|]", text) if v.strip(" .;:")]


class _Page:
    """A parsed page and its tags looked up more than once, gathered in one walk:
    every `find_all` is a walk over the whole tree in Python, and on a large real
    page a handful of them cost as much as trafilatura's whole extraction."""

    _GATHERED = ("a", "meta", "link", "iframe", "main", "article", "h1", "h2", "h3")

    def __init__(self, soup: BeautifulSoup) -> None:
        self.soup = soup
        self.tags: dict[str, list[Tag]] = {name: [] for name in self._GATHERED}
        self.headings: list[Tag] = []  # h2 and h3 in document order
        for el in soup.find_all(self._GATHERED):
            self.tags[el.name].append(el)
            if el.name in ("h2", "h3"):
                self.headings.append(el)

    def first(self, name: str) -> Tag | None:
        found = self.tags[name]
        return found[0] if found else None

    def metas(self, key: str) -> list[Tag]:
        """Meta tags whose name or property is `key` (case-insensitive)."""
        key = key.lower()
        return [
            el
            for el in self.tags["meta"]
            if key in (str(el.get("name", "")).lower(), str(el.get("property", "")).lower())
        ]


def _rule_values(page: _Page, rule: str, *, single: bool = False) -> list[str]:
    """Values for one metadata rule.

    `css:SEL` text (or datetime/content attribute) of each match; `meta:NAME` the meta tag
    with that name or property, split on commas; `label:Thema` the text after
    "Thema:" in any element; `text:Laatste update` the same, for dates.
    """
    kind, _, arg = rule.partition(":")
    values: list[str] = []
    if kind == "css":
        try:
            matches = page.soup.select(arg)
        except Exception as exc:  # soupsieve raises its own error types for bad selectors
            raise ExtractError(f"bad CSS selector {arg!r}: {exc}") from exc
        for el in matches:
            raw = el.get("datetime") or el.get("content") or el.get_text(" ", strip=True)
            raw = re.sub(r"^\s*[\w ]{2,20}:\s*", "", str(raw)) if not single else str(raw)
            values.extend([raw] if single else _split_values(raw))
    elif kind == "meta":
        for el in page.metas(arg):
            content = str(el.get("content", ""))
            values.extend([content] if single else _split_values(content))
    elif kind in ("label", "text"):
        pattern = re.compile(rf"{re.escape(arg)}\s*:\s*(.+)", re.I)
        for s in page.soup.find_all(string=pattern):
            m = pattern.search(str(s))
            if m:
                values.extend([m.group(1)] if single else _split_values(m.group(1)))
    else:
        raise ExtractError(f"unknown metadata rule {rule!r}")
    return [" ".join(v.split()) for v in values if v and v.strip()]


def _normalise_labels(values: list[str], vocabulary: dict[str, str]) -> list[str]:
    out: list[str] = []
    for value in values:
        key = value.strip().lower()
        label = vocabulary.get(key, key)
        if label and label not in out and len(label) <= 60:
            out.append(label)
    return out


def _find_date(page: _Page, source: Source) -> str | None:
    for rule in source.dates:
        for value in _rule_values(page, rule, single=True):
            date = parse_date(value)
            if date:
                return date
    for rule in ("meta:article:published_time", "meta:date", "meta:dc.date", "css:time[datetime]"):
        for value in _rule_values(page, rule, single=True):
            date = parse_date(value)
            if date:
                return date
    return None


def _selected_node(soup: BeautifulSoup, source: Source) -> Tag | None:
    """The source's configured content container, if it has one and it is there."""
    if source.content_selector:
        try:
            return soup.select_one(source.content_selector)
        except Exception as exc:  # soupsieve raises its own error types for bad selectors
            raise ExtractError(f"bad CSS selector {source.content_selector!r}: {exc}") from exc
    return None


def _container_node(page: _Page) -> Tag | None:
    return page.first("main") or page.first("article")


def _container_text(main: Tag, source: Source) -> tuple[str, list[str]]:
    """Text and h2/h3 headings of a container, boilerplate elements removed."""
    for selector in (_BOILERPLATE, *source.remove):
        for el in main.select(selector):
            el.decompose()
    headings = [" ".join(h.get_text(" ", strip=True).split()) for h in main.find_all(["h2", "h3"])]
    return _block_text(main), [h for h in headings if h]


def trafilatura_text(html: str, url: str) -> str:
    """The page's main text as trafilatura finds it, tuned for precision: comments
    are not content here, and a leak costs more than a lost line (it lands in the
    index and in every snippet)."""
    import trafilatura

    return (
        trafilatura.extract(
            html, url=url, favor_precision=True, include_comments=False, include_tables=True
        )
        or ""
    )


_BULLET = re.compile(r"^[-*•·]\s+")


def _drop_metadata_lines(text: str, page: _Page, source: Source) -> str:
    """Lines of generic text that the source's own metadata rules point at: the
    values its `css:` rules select (a label list, a date line) and the lines its
    `label:`/`text:` rules read ("Thema: ...", "Laatste update: ..."). They are in
    the document's fields already; in the text they are noise in every snippet."""
    values: set[str] = set()
    labels: list[re.Pattern] = []
    for rule in (*source.themes, *source.audience, *source.dates):
        kind, _, arg = rule.partition(":")
        if kind == "css":
            try:
                matches = page.soup.select(arg)
            except Exception as exc:  # soupsieve raises its own error types
                raise ExtractError(f"bad CSS selector {arg!r}: {exc}") from exc
            for el in matches:
                values.add(" ".join(el.get_text(" ", strip=True).split()).lower())
        elif kind in ("label", "text"):
            labels.append(re.compile(rf"^{re.escape(arg)}\s*:", re.I))
    if not values and not labels:
        return text
    kept = []
    for line in text.splitlines():
        bare = _BULLET.sub("", line.strip()).lower()
        if bare in values or any(p.match(bare) for p in labels):
            continue
        kept.append(line)
    return "\n".join(kept)


def _generic_text(
    html: str, url: str, page: _Page, container: Tag | None, source: Source
) -> tuple[str, list[str], str]:
    """Main text where no configured selector matched: (text, headings, method).
    Trafilatura first (it keeps less boilerplate), the `<main>`/`<article>` container
    where it finds nothing."""
    text = trafilatura_text(html, url)
    if not text.strip() and container is not None:
        return (*_container_text(container, source), METHOD_CONTAINER)
    text = _drop_metadata_lines(text, page, source)
    lines = set(text.splitlines())
    headings = [" ".join(h.get_text(" ", strip=True).split()) for h in page.headings]
    return text, [h for h in headings if h and h in lines], METHOD_GENERIC


def _rel(el: Tag) -> list[str]:
    """The words of an element's `rel` attribute."""
    return str(el.get("rel") or "").lower().split()


def _robots_directives(page: _Page, header: str) -> tuple[bool, bool]:
    values = [header.lower()]
    for el in page.metas("robots") + page.metas("kennisbankbot"):
        if str(el.get("name", "")).lower() in ("robots", "kennisbankbot"):
            values.append(str(el.get("content", "")).lower())
    joined = ",".join(values)
    noindex = "noindex" in joined or "none" in re.split(r"[,\s]+", joined)
    nofollow = "nofollow" in joined or "none" in re.split(r"[,\s]+", joined)
    return noindex, nofollow


def _title(page: _Page, main: Tag | None) -> str:
    soup = page.soup
    h1 = (main.find("h1") if main is not None else None) or page.first("h1")
    if h1 is not None and h1.get_text(strip=True):
        return " ".join(h1.get_text(" ", strip=True).split())
    og = next((el for el in page.tags["meta"] if el.get("property") == "og:title"), None)
    if og and og.get("content"):
        return str(og["content"]).strip()
    if soup.title and soup.title.string:
        return re.split(r"\s[|–-]\s", soup.title.string.strip())[0]
    return ""


def extract_html(
    body: bytes,
    url: str,
    source: Source,
    settings: CrawlSettings,
    *,
    content_type_header: str = "",
    robots_header: str = "",
    fetched_at: str | None = None,
    keep_noindex: bool = False,
) -> Extracted:
    """Turn an HTML response into a document, links and directives.

    `keep_noindex` extracts the document of a noindex page all the same (the
    extraction benchmark measures every page of a mirror).
    """
    html = decode_html(body, content_type_header)
    check_is_text(html)
    check_nesting(html)
    # Attributes stay plain strings (soupsieve splits `class` and `~=` itself): the
    # splitting costs a tenth of the parse on large pages.
    soup = BeautifulSoup(html, "lxml", multi_valued_attributes=None)
    page = _Page(soup)
    noindex, nofollow = _robots_directives(page, robots_header)

    canonical = None
    link = next(
        (el for el in page.tags["link"] if "canonical" in _rel(el) and el.get("href")),
        None,
    )
    if link is not None:
        try:
            canonical = normalize(str(link["href"]), base=url)
        except BadURL:
            canonical = None

    links: list[str] = []
    if not nofollow:
        hrefs = dict.fromkeys(  # a page links to the same place many times: normalise once
            str(a["href"])
            for a in page.tags["a"]
            if a.get("href") is not None and "nofollow" not in _rel(a)
        )
        for href in hrefs:
            try:
                links.append(normalize(href, base=url))
            except BadURL:
                continue

    if noindex and not keep_noindex:
        return Extracted(None, links, canonical, noindex, nofollow)

    selected = _selected_node(soup, source)
    selector_missed = bool(source.content_selector) and selected is None
    container = selected if selected is not None else _container_node(page)
    title = _title(page, container)
    description = ""
    desc = next((el for el in page.tags["meta"] if el.get("name") == "description"), None)
    if desc is not None and desc.get("content"):
        description = " ".join(str(desc["content"]).split())
    date = _find_date(page, source)
    modified = None
    for value in _rule_values(page, "meta:article:modified_time", single=True):
        modified = parse_date(value)
    themes = _normalise_labels(
        [v for rule in source.themes for v in _rule_values(page, rule)], settings.vocabulary
    )
    audience = _normalise_labels(
        [v for rule in source.audience for v in _rule_values(page, rule)], settings.vocabulary
    )
    doc_type = source.type_for_url(url)
    if doc_type is None:
        for rule in source.type_rules:
            if rule.selector and soup.select_one(rule.selector) is not None:
                doc_type = rule.doc_type
                break
    videos = [v for v in (_video(el, title) for el in page.tags["iframe"]) if v]
    if doc_type is None:
        doc_type = "filmpje" if videos else None
    doc_type = doc_type or source.default_type

    if selected is not None:
        text, headings = _container_text(selected, source)
        method = METHOD_SELECTOR
    else:
        text, headings, method = _generic_text(html, url, page, container, source)
    text = text.strip()
    if title and text.startswith(title):
        text = text[len(title) :].lstrip()
    fetched = fetched_at or utcnow()
    doc = Document(
        url=url,
        source=source.name,
        title=title or url,
        text=text,
        doc_type=doc_type,
        content_hash="",
        fetched_at=fetched,
        description=description,
        date=date,
        modified=modified,
        themes=themes,
        audience=audience,
        headings=headings,
        content_type="text/html",
        videos=videos,
    )
    doc.content_hash = document_hash(doc)
    return Extracted(doc, links, canonical, noindex, nofollow, method, selector_missed)


def extract_pdf(
    body: bytes, url: str, source: Source, settings: CrawlSettings, *, fetched_at: str | None = None
) -> Document:
    """Turn a PDF into a document: pypdf text, title from metadata or the first line."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages[:500]]
        meta = reader.metadata
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ExtractError(f"unreadable PDF: {exc}") from exc
    text = "\n".join(" ".join(line.split()) for p in pages for line in p.splitlines())
    text = "\n".join(line for line in text.splitlines() if line)
    title = ""
    date = None
    description = ""
    themes: list[str] = []
    if meta is not None:
        title = (meta.title or "").strip()
        description = str(meta.subject or "").strip()
        try:
            created = meta.creation_date
        except (ValueError, TypeError):
            created = None
        if created is not None:
            date = created.strftime("%Y-%m-%d")
        keywords = str(meta.get("/Keywords", "") or "")
        themes = _normalise_labels(_split_values(keywords), settings.vocabulary)
    if not title:
        title = text.splitlines()[0][:200] if text else url.rsplit("/", 1)[-1]
    doc_type = source.type_for_url(url) or "publicatie"
    return Document(
        url=url,
        source=source.name,
        title=title,
        text=text,
        doc_type=doc_type,
        content_hash=content_hash(title, text, doc_type),
        fetched_at=fetched_at or utcnow(),
        description=description,
        date=date,
        themes=themes,
        content_type="application/pdf",
        pages=len(reader.pages),
        size=len(body),
    )
