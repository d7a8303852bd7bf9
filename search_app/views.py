"""The HTML pages: search (with facets in the URL), the stored document, errors."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request

from indexer.engine import QueryError

from . import search_index
from .errors import BadParameter
from .params import parse_search_args, request_args

bp = Blueprint("search", __name__)

FACET_LABELS = {
    "site": "Bron",
    "type": "Type",
    "theme": "Thema",
    "audience": "Doelgroep",
    "year": "Jaar",
}
TYPE_LABELS = {
    "visietekst": "Visietekst",
    "methodiek": "Tool / methodiek",
    "praktijkvoorbeeld": "Praktijkvoorbeeld",
    "filmpje": "Filmpje",
    "nieuws": "Nieuws",
    "publicatie": "Publicatie",
    "pagina": "Pagina",
}


def _url(args: list[tuple[str, str]]) -> str:
    return "/?" + urlencode(args) if args else "/"


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
            view.append({"name": name, "label": FACET_LABELS[name], "items": items})
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


def _pages(req, total: int) -> list[dict]:
    last = max(1, min((total + req.per_page - 1) // req.per_page, 10_000 // req.per_page))
    window = sorted({1, last, *range(max(1, req.page - 2), min(last, req.page + 2) + 1)})
    return [
        {"number": n, "url": _url(request_args(req, page=n)), "current": n == req.page}
        for n in window
    ]


@bp.get("/")
def search():
    try:
        req = parse_search_args(request.args)
        result = search_index(current_app).search(req)
    except (BadParameter, QueryError) as exc:
        return render_template("search.html", error=str(exc), req=None, result=None), 400
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
        error=None,
    )


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
