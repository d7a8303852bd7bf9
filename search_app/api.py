"""The JSON API (`/api/v1/...`): search, facets, documents; the contract is docs/api.md."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, jsonify, request

from . import search_index
from .errors import json_error
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


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_spec())
