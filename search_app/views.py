"""The HTML pages: search (with facets in the URL), the stored document, the
OpenSearch description. Every state of the search page lives in its URL; each facet
value, chip, sort, page and page size is a plain link, so it works without JavaScript."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from indexer.engine import QueryError
from indexer.facets import FACETS

from . import search_index, settings
from .errors import BadParameter
from .params import parse_search_args, request_args

bp = Blueprint("search", __name__)

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
                    "label": TYPE_LABELS.get(fv.value, fv.value) if name == "type" else fv.value,
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


def _chips(req) -> list[dict]:
    chips = []
    for name, values in req.filters.items():
        for value in values:
            rest = {**req.filters, name: [v for v in values if v != value]}
            chips.append(
                {
                    "label": f"{FACET_LABELS[name]}: {TYPE_LABELS.get(value, value)}",
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


@bp.get("/")
def search():
    try:
        req = parse_search_args(request.args)
        req.collapse_duplicates = True
        result = search_index(current_app).search(req)
    except (BadParameter, QueryError) as exc:
        return render_template("search.html", error=str(exc), req=None, result=None), 400
    state = _state_args(req)
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
        exports=[(label, _url([("format", f), *state], "/export")) for f, label in EXPORT_FORMATS],
        feed_url=_url(state, "/feed.atom"),
        year_hidden=[
            (k, v) for k, v in request_args(req, page=1) if k not in ("year_from", "year_to")
        ],
        lift_filters=_lift_filters(req) if result.total == 0 else [],
        keep_args=[(k, v) for k, v in request_args(req, page=1) if k != "q"],
        error=None,
    )


def _lift_filters(req) -> list[dict]:
    """On a zero-results page: how many hits each active filter would give if lifted."""
    index = search_index(current_app)
    out = []
    for chip in _chips(req):
        lifted = parse_search_args(_multidict(chip["url"]))
        lifted.page, lifted.per_page, lifted.with_facets = 1, 1, False
        lifted.collapse_duplicates = True
        total = index.search(lifted).total
        if total:
            out.append({**chip, "total": total})
    return out


def _multidict(url: str) -> MultiDict:
    return MultiDict(parse_qsl(urlsplit(url).query))


@bp.get("/doc/<doc_id>")
def document(doc_id: str):
    if len(doc_id) > 64 or not doc_id.isalnum():
        abort(404)
    index = search_index(current_app)
    doc = index.document(doc_id)
    if doc is None:
        abort(404)
    return render_template(
        "document.html", doc=doc, similar=index.similar(doc_id), type_labels=TYPE_LABELS
    )


@bp.get("/opensearch.xml")
def opensearch():
    """The OpenSearch description, so a browser can add this search engine."""
    body = render_template("opensearch.xml", root=request.url_root.rstrip("/"))
    return current_app.response_class(body, mimetype="application/opensearchdescription+xml")
