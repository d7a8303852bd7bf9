"""The JSON API (`/api/v1/...`): search, facets, documents; the contract is docs/api.md."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, request

from . import search_index
from .errors import BadParameter, json_error
from .openapi import openapi_spec
from .params import parse_search_args
from .results import result_dict

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/search")
def search():
    req = parse_search_args(request.args)
    result = search_index(current_app).search(req)
    return jsonify(result_dict(result))


@bp.get("/facets")
def facets():
    req = parse_search_args(request.args)
    req.page, req.per_page = 1, 1
    result = search_index(current_app).search(req)
    body = result_dict(result)
    return jsonify({"query": body["query"], "total": body["total"], "facets": body["facets"]})


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    if len(doc_id) > 64 or not doc_id.isalnum():
        return json_error("onbekend document", 404)
    doc = search_index(current_app).document(doc_id)
    if doc is None:
        return json_error("onbekend document", 404)
    return jsonify(asdict(doc))


SUGGEST_MAX_CHARS = 100
SUGGEST_LIMIT = 8


def _suggestion(item) -> dict:
    """One completion with where choosing it leads: a theme or audience filters on it,
    a title opens the document, a phrase is searched."""
    if item.kind == "thema":
        target = "/?" + urlencode({"theme": item.value})
    elif item.kind == "doelgroep":
        target = "/?" + urlencode({"audience": item.value})
    elif item.kind == "titel":
        target = f"/doc/{item.value}"
    else:
        target = "/?" + urlencode({"q": item.text})
    return {"text": item.text, "kind": item.kind, "url": target}


@bp.get("/suggest")
def suggest():
    """Suggestions as you type: titles, themes and frequent phrases completing `q`."""
    prefix = request.args.get("q", "") or ""
    if "\x00" in prefix or len(prefix) > SUGGEST_MAX_CHARS:
        raise BadParameter(
            f"Zoekterm voor suggesties mag hoogstens {SUGGEST_MAX_CHARS} tekens zijn"
        )
    raw = (request.args.get("limit") or str(SUGGEST_LIMIT)).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 20:
        raise BadParameter("Aantal suggesties moet tussen 1 en 20 liggen")
    items = search_index(current_app).complete(prefix, int(raw))
    return jsonify({"query": prefix, "suggestions": [_suggestion(i) for i in items]})


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_spec())
