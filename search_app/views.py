"""The HTML pages: search (with facets in the URL), the stored document, the search
tips, the OpenSearch description, the app's own robots.txt and favicon. Every state of
the search page lives in its URL; each facet value, chip, sort, page and page size is a
plain link, so it works without JavaScript. A document opened from a hit carries the
search in its URL (plus its position, `pos`), so it can lead back to the results and on
to the previous and next hit."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from crawler.store import CrawlStore, StoreError
from indexer.engine import QueryError
from indexer.facets import FACETS

from . import search_index, settings
from .dutch import cron_in_dutch, dutch_date, dutch_datetime, dutch_size
from .errors import BadParameter
from .names import source_title
from .params import FIELD_LABELS, parse_search_args, request_args
from .reading import blocks_for, marked, query_terms

log = logging.getLogger(__name__)

bp = Blueprint("search", __name__)


@bp.app_template_filter("bron")
def _bron(site: str) -> str:
    return source_title(site)


@bp.app_template_filter("datum")
def _datum(value) -> str:
    return dutch_date(value)


@bp.app_template_filter("tijdstip")
def _tijdstip(value) -> str:
    return dutch_datetime(value)


@bp.app_template_filter("schema")
def _schema(expression: str) -> str:
    return cron_in_dutch(expression)


# A crawl error's kind (crawler/fetch.py, extract.py) in words, without HTTP jargon.
ERROR_KINDS = {
    "fetch": "pagina kon niet opgehaald worden",
    "timeout": "de site antwoordde te traag",
    "connection": "de site was niet bereikbaar",
    "too_large": "pagina te groot",
    "redirect": "te veel doorverwijzingen",
    "unsafe_redirect": "doorverwezen naar een adres buiten de site",
    "server_error": "fout op de site zelf",
    "extract": "tekst kon niet gelezen worden",
    "binary": "geen tekst (bv. een afbeelding)",
    "sitemap": "sitemap onleesbaar",
}


@bp.app_template_filter("fout")
def _fout(kind: str) -> str:
    return ERROR_KINDS.get(kind, "pagina kon niet verwerkt worden")


@bp.app_template_filter("grootte")
def _grootte(value) -> str:
    return dutch_size(value)


FACET_LABELS = {f.name: f.label for f in FACETS}
TYPE_LABELS = {
    "visietekst": "Visietekst",
    "methodiek": "Tool / methodiek",
    "praktijkvoorbeeld": "Praktijkvoorbeeld",
    "filmpje": "Filmpje",
    "nieuws": "Nieuws",
    "publicatie": "Publicatie",
    "pagina": "Pagina",
}


FACET_VISIBLE = 6  # values shown before "meer tonen"
PAGE_SIZES = tuple(n for n in (10, 20, 50, 100) if n <= settings.MAX_PER_PAGE)
EXPORT_FORMATS = (
    ("csv", "CSV"),
    ("json", "JSON"),
    ("jsonl", "JSON Lines"),
    ("ris", "RIS (literatuurbeheer)"),
    ("bibtex", "BibTeX"),
)
# The export form on the search page: format choices (xlsx is web-only).
EXPORT_CHOICES = (("xlsx", "Excel (XLSX)"), *EXPORT_FORMATS)
PDF = "application/pdf"


def _url(args: list[tuple[str, str]], path: str = "/") -> str:
    return f"{path}?{urlencode(args)}" if args else path


def _state_args(req) -> list[tuple[str, str]]:
    """The search state without page and page size: for exports and the feed."""
    return [(k, v) for k, v in request_args(req, page=1) if k not in ("page", "per_page")]


def _facet_view(req, result) -> list[dict]:
    """Each facet value with its own toggle link and selected flag (state in the URL)."""
    view = []
    for name, values in result.facets.items():
        items = []
        for fv in values:
            current = list(req.filters.get(name, []))
            new = [v for v in current if v != fv.value] if fv.selected else current + [fv.value]
            filters = {**req.filters, name: new}
            items.append(
                {
                    "value": fv.value,
                    "label": _value_label(name, fv.value),
                    "count": fv.count,
                    "selected": fv.selected,
                    "url": _url(request_args(req, filters=filters, page=1)),
                }
            )
        if items:
            # Selected values stay in the visible part, so a chosen value never hides
            # behind "meer tonen".
            chosen = [i for i in items if i["selected"]]
            rest = [i for i in items if not i["selected"]]
            room = max(FACET_VISIBLE - len(chosen), 0)
            view.append(
                {
                    "name": name,
                    "label": FACET_LABELS[name],
                    "items": items,
                    "top": chosen + rest[:room],
                    "more": rest[room:],
                }
            )
    return view


def _value_label(name: str, value: str) -> str:
    """A facet value as people name it: type labels, source titles; the URL keeps the value."""
    if name == "type":
        return TYPE_LABELS.get(value, value)
    if name == "site":
        return source_title(value)
    return value


def _chips(req) -> list[dict]:
    chips = []
    for name, values in req.filters.items():
        for value in values:
            rest = {**req.filters, name: [v for v in values if v != value]}
            chips.append(
                {
                    "label": f"{FACET_LABELS[name]}: {_value_label(name, value)}",
                    "url": _url(request_args(req, filters=rest, page=1)),
                }
            )
    for name, label in (("year_from", "Vanaf"), ("year_to", "Tot en met")):
        if getattr(req, name) is not None:
            chips.append(
                {
                    "label": f"{label} {getattr(req, name)}",
                    "url": _url(request_args(req, **{name: None, "page": 1})),
                }
            )
    return chips


def _page_links(req, total: int) -> dict:
    """Previous/next links and the page-size choice."""
    last = max(1, (total + req.per_page - 1) // req.per_page)
    return {
        "previous": _url(request_args(req, page=req.page - 1)) if req.page > 1 else None,
        "next": _url(request_args(req, page=req.page + 1)) if req.page < last else None,
        "sizes": [
            {
                "size": n,
                "url": _url(request_args(req, per_page=n, page=1)),
                "current": n == req.per_page,
            }
            for n in PAGE_SIZES
        ],
    }


def _pages(req, total: int) -> list[dict]:
    window = settings.MAX_RESULT_WINDOW // req.per_page
    last = max(1, min((total + req.per_page - 1) // req.per_page, window))
    window = sorted({1, last, *range(max(1, req.page - 2), min(last, req.page + 2) + 1)})
    return [
        {"number": n, "url": _url(request_args(req, page=n)), "current": n == req.page}
        for n in window
    ]


def _last_page(req, total: int) -> int:
    return max(1, min((total + req.per_page - 1) // req.per_page, 10_000 // req.per_page))


def _error_page(exc: BadParameter):
    """A bad parameter on the search page: the message in Dutch next to the search box,
    the query and every other parameter kept, and a link without the bad one."""
    param = getattr(exc, "param", None)
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != param]
    query = request.args.get("q", "")
    return (
        render_template(
            "search.html",
            error=str(exc),
            error_field=FIELD_LABELS.get(param or "", ""),
            retry_url=_url(kept),
            typed=query if len(query) <= settings.MAX_QUERY_CHARS else "",
            keep_args=[(k, v) for k, v in kept if k not in ("q", "page")][:50],
            req=None,
            result=None,
        ),
        400,
    )


def _years_swapped(args) -> bool:
    low, high = (args.get(k, "").strip() for k in ("year_from", "year_to"))
    return low.isdigit() and high.isdigit() and int(low) > int(high)


@bp.get("/")
def search():
    try:
        req = parse_search_args(request.args, swap_years=True)
        result = search_index(current_app).search(req)
    except (BadParameter, QueryError) as exc:
        return _error_page(exc)
    return render_results(req, result)


def render_results(req, result) -> str:
    """The search page for one request and its result (inside a request context)."""
    state = _state_args(req)
    last = _last_page(req, result.total)
    filters_active = (
        sum(len(v) for v in req.filters.values())
        + (req.year_from is not None)
        + (req.year_to is not None)
    )
    return render_template(
        "search.html",
        req=req,
        result=result,
        facets=_facet_view(req, result),
        chips=_chips(req),
        pages=_pages(req, result.total),
        type_labels=TYPE_LABELS,
        clear_url=_url(request_args(req, filters={}, year_from=None, year_to=None, page=1)),
        sort_urls={s: _url(request_args(req, sort=s, page=1)) for s in ("relevance", "date")},
        paging=_page_links(req, result.total),
        suggestion_url=(
            _url(request_args(req, q=result.suggestion, page=1)) if result.suggestion else None
        ),
        # After a correction: the words as typed, searched as typed (a quoted phrase is
        # never corrected).
        typed_url=_url(request_args(req, q=_as_typed(req.query), page=1)),
        exports=[(label, _url([("format", f), *state], "/export")) for f, label in EXPORT_FORMATS],
        export_choices=EXPORT_CHOICES,
        export_state=state,
        feed_url=_url(state, "/feed.atom"),
        year_hidden=[
            (k, v) for k, v in request_args(req, page=1) if k not in ("year_from", "year_to")
        ],
        lift_filters=_lift_filters(req) if result.total == 0 else [],
        keep_args=[(k, v) for k, v in request_args(req, page=1) if k != "q"],
        years_swapped=_years_swapped(request.args),
        past_end=result.total > 0 and req.page > last,
        last_page=last,
        last_page_url=_url(request_args(req, page=last)),
        filters_active=filters_active,
        hit_url=lambda hit, n: _document_url(hit.id, req, n),
        hit_href=lambda hit, n: (
            _document_url(hit.id, req, n) if current_app.config["SAMPLE"] else hit.url
        ),
        pdf_type=PDF,
        error=None,
    )


def _as_typed(query: str) -> str:
    words = query.split()
    return " ".join(
        f'"{w}"' if not w.startswith(("-", '"')) and w not in ("OR", "OF") else w for w in words
    )


def _document_url(doc_id: str, req, position: int) -> str:
    """A document's page with the search that found it and its position in the results."""
    args = [(k, v) for k, v in request_args(req, page=1) if k != "page"]
    return _url([*args, ("pos", str(position))], f"/doc/{doc_id}")


def _lift_filters(req) -> list[dict]:
    """On a zero-results page: how many hits each active filter would give if lifted."""
    index = search_index(current_app)
    out = []
    for chip in _chips(req):
        lifted = parse_search_args(_multidict(chip["url"]))
        lifted.page, lifted.per_page, lifted.with_facets = 1, 1, False
        total = index.search(lifted).total
        if total:
            out.append({**chip, "total": total})
    return out


def _multidict(url: str) -> MultiDict:
    return MultiDict(parse_qsl(urlsplit(url).query))


def _position(args) -> int | None:
    raw = (args.get("pos") or "").strip()
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= 10_000:
        return None
    return int(raw)


def _hit_at(req, position: int):
    """The hit at `position` (1-based) of the search `req`, as the search page ranks it."""
    if not 1 <= position <= 10_000:
        return None
    probe = replace(req, page=position, per_page=1, with_facets=False)
    hits = search_index(current_app).search(probe).hits
    return hits[0] if hits else None


def _search_context(doc_id: str) -> dict | None:
    """Back to the results, previous and next hit: from the search carried in the URL."""
    position = _position(request.args)
    if position is None:
        return None
    try:
        req = parse_search_args(request.args, swap_years=True)
    except BadParameter:
        return None
    page = (position - 1) // req.per_page + 1
    context = {
        "query": req.query,
        "back_url": _url(request_args(req, page=page)) + f"#hit-{position}",
        "position": position,
        "terms": query_terms(req.query),
        "previous": None,
        "next": None,
    }
    try:
        for key, n in (("previous", position - 1), ("next", position + 1)):
            hit = _hit_at(req, n)
            if hit is not None and hit.id != doc_id:
                context[key] = {"title": hit.title, "url": _document_url(hit.id, req, n)}
    except QueryError:
        pass
    return context


def _crawled(url: str):
    """The page as the crawler recorded it, for what the index does not keep (its
    headings, its videos); None when the store is not there or cannot be read."""
    store_path = Path(current_app.config["DATA_DIR"]) / "crawl.sqlite"
    if not store_path.exists():
        return None
    try:
        with CrawlStore.reader(store_path) as store:
            return store.document(url)
    except StoreError as exc:
        log.warning("the crawl record of %s is unavailable: %s", url, exc)
        return None


@bp.get("/doc/<doc_id>")
def document(doc_id: str):
    if len(doc_id) > 64 or not doc_id.isalnum():
        abort(404)
    index = search_index(current_app)
    doc = index.document(doc_id)
    if doc is None:
        abort(404)
    context = _search_context(doc_id)
    terms = context["terms"] if context else frozenset()
    crawled = _crawled(doc.url)
    headings = [] if doc.content_type == PDF or crawled is None else list(crawled.headings)
    blocks = blocks_for(doc.text, doc.content_type, headings, doc.title)

    def filter_url(name: str, value: str) -> str:
        return _url([(name, value)])

    return render_template(
        "document.html",
        doc=doc,
        videos=list(crawled.videos) if crawled is not None else [],
        blocks=blocks,
        mark=lambda text: marked(text, terms),
        context=context,
        typed=context["query"] if context else "",
        filter_url=filter_url,
        similar=index.similar(doc_id),
        type_labels=TYPE_LABELS,
        pdf_type=PDF,
    )


@bp.get("/zoektips")
def tips():
    return render_template("tips.html")


@bp.get("/robots.txt")
def robots():
    """The app's own robots.txt: search result pages and exports are endless and not
    for crawlers; the pages about the app are."""
    body = "\n".join(
        [
            "User-agent: *",
            "Disallow: /?",
            "Disallow: /export",
            "Disallow: /feed.atom",
            "Disallow: /api/",
            "Disallow: /doc/",
            "Allow: /$",
            "Allow: /zoektips",
            "Allow: /bronnen",
            "",
        ]
    )
    return current_app.response_class(body, mimetype="text/plain")


@bp.get("/favicon.ico")
def favicon():
    # Four kilobytes, read whole: no file handle left to the server to close.
    icon = (Path(current_app.root_path) / "static" / "favicon.ico").read_bytes()
    response = current_app.response_class(icon, mimetype="image/vnd.microsoft.icon")
    response.cache_control.max_age = 86_400
    return response


@bp.get("/opensearch.xml")
def opensearch():
    """The OpenSearch description, so a browser can add this search engine."""
    body = render_template("opensearch.xml", root=request.url_root.rstrip("/"))
    return current_app.response_class(body, mimetype="application/opensearchdescription+xml")
