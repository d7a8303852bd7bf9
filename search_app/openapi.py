"""The OpenAPI 3.1 description of the open API, served at `/api/v1/openapi.json`.

Written as data next to the code it describes; tests validate real answers of every
path against these schemas (OpenAPI 3.1 schemas are JSON Schema 2020-12), so the
description cannot drift from the behaviour unnoticed.
"""

from __future__ import annotations

from indexer.facets import FACET_NAMES, FACETS, Facet

from . import settings
from .export import (
    DEFAULT_CAP,
    DELIMITERS,
    FORMATS,
    MEDIA_TYPES,
    META_FORMAT,
    XLSX,
    product_version,
)
from .params import SORTS
from .results import EXPORT_FIELDS, HIT_FIELDS

_REF = "#/components/schemas/"


def _ref(name: str) -> dict:
    return {"$ref": _REF + name}


def _param(name: str, schema: dict, description: str, repeatable: bool = False) -> dict:
    if repeatable:
        schema = {"type": "array", "items": schema, "maxItems": settings.MAX_FILTER_VALUES}
    param = {"name": name, "in": "query", "required": False, "schema": schema}
    param["description"] = description
    if repeatable:
        param.update(style="form", explode=True)
    return param


_TEXT = {"type": "string", "maxLength": settings.MAX_FILTER_CHARS}
_YEAR = {"type": "integer", "minimum": settings.YEAR_MIN, "maximum": settings.YEAR_MAX}


def _facet_schema(facet: Facet) -> dict:
    if facet.pattern is None:
        return _TEXT
    return {"type": "string", "pattern": f"^{facet.pattern}$"}


SEARCH_PARAMS = [
    _param(
        "q",
        {"type": "string", "maxLength": settings.MAX_QUERY_CHARS},
        'De zoekvraag (woorden, "zinnen", -uit).',
    ),
    *(
        _param(
            f.name,
            _facet_schema(f),
            f"Filter op {f.label.lower()} (herhaalbaar: OF).",
            repeatable=True,
        )
        for f in FACETS
    ),
    _param("year_from", _YEAR, "Vanaf jaar."),
    _param("year_to", _YEAR, "Tot en met jaar."),
    _param("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"}, "Sortering."),
]
PAGE_PARAMS = [
    _param(
        "page",
        {"type": "integer", "minimum": 1, "maximum": settings.MAX_PAGE, "default": 1},
        "Pagina.",
    ),
    _param(
        "per_page",
        {"type": "integer", "minimum": 1, "default": settings.DEFAULT_PER_PAGE},
        f"Resultaten per pagina (boven {settings.MAX_PER_PAGE} afgetopt tot "
        f"{settings.MAX_PER_PAGE}).",
    ),
]

_NULLABLE_STR = {"type": ["string", "null"]}
_STR_LIST = {"type": "array", "items": {"type": "string"}}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "additionalProperties": False,
        "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
    },
    "Hit": {
        "type": "object",
        "additionalProperties": False,
        "required": list(HIT_FIELDS),
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "title": {"type": "string"},
            "site": {"type": "string"},
            "type": {"type": "string"},
            "themes": _STR_LIST,
            "audience": _STR_LIST,
            "date": {**_NULLABLE_STR, "description": "Publicatiedatum YYYY-MM-DD."},
            "snippet": {
                "type": "string",
                "description": "HTML: tekst ge-escapet, treffers in <mark>.",
            },
            "score": {
                "type": "number",
                "description": "Rangscore (hoger is beter); 0 bij sortering op datum.",
            },
            "match": {
                "type": "string",
                "enum": ["words", "some", "meaning"],
                "description": "words: alle zoekwoorden die de index kent; some: een deel "
                "ervan; meaning: geen zoekwoord, gevonden op betekenis.",
            },
            "pdf": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "url", "pages", "bytes"],
                        "properties": {
                            "id": {"type": "string"},
                            "url": {"type": "string"},
                            "pages": {"type": ["integer", "null"]},
                            "bytes": {"type": ["integer", "null"]},
                        },
                    },
                ],
                "description": "De PDF die deze pagina aanbiedt: samen één treffer.",
            },
            "copies": {
                "type": "array",
                "description": "Bijna-identieke kopieën van deze tekst op andere pagina's.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "url", "site", "title"],
                    "properties": {k: {"type": "string"} for k in ("id", "url", "site", "title")},
                },
            },
        },
    },
    "FacetValue": {
        "type": "object",
        "additionalProperties": False,
        "required": ["value", "count", "selected"],
        "properties": {
            "value": {"type": "string"},
            "count": {"type": "integer", "minimum": 0},
            "selected": {"type": "boolean"},
        },
    },
    "Facets": {
        "type": "object",
        "additionalProperties": False,
        "required": list(FACET_NAMES),
        "properties": {
            name: {"type": "array", "items": _ref("FacetValue")} for name in FACET_NAMES
        },
    },
    "SearchAnswer": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "query",
            "total",
            "page",
            "per_page",
            "results",
            "facets",
            "suggestion",
            "corrected",
            "not_found",
        ],
        "properties": {
            "query": {"type": "string"},
            "total": {
                "type": "integer",
                "minimum": 0,
                "description": "Treffers, elke publicatie één keer (docs/search.md).",
            },
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": settings.MAX_PER_PAGE},
            "results": {"type": "array", "items": _ref("Hit")},
            "facets": _ref("Facets"),
            "suggestion": _NULLABLE_STR,
            "corrected": {
                "type": "boolean",
                "description": "De resultaten zijn die van `suggestion`.",
            },
            "not_found": {**_STR_LIST, "description": "Zoekwoorden die nergens voorkomen."},
        },
    },
    "FacetsAnswer": {
        "type": "object",
        "additionalProperties": False,
        "required": ["query", "total", "facets"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "facets": _ref("Facets"),
        },
    },
    "Document": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "url",
            "title",
            "site",
            "source",
            "type",
            "themes",
            "audience",
            "date",
            "description",
            "text",
            "fetched_at",
            "word_count",
            "content_type",
        ],
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "title": {"type": "string"},
            "site": {"type": "string"},
            "source": {"type": "string"},
            "type": {"type": "string"},
            "themes": _STR_LIST,
            "audience": _STR_LIST,
            "date": _NULLABLE_STR,
            "description": {"type": "string"},
            "text": {"type": "string"},
            "fetched_at": {"type": "string"},
            "word_count": {"type": "integer", "minimum": 0},
            "content_type": {"type": "string"},
        },
    },
    "Provenance": {
        "type": "object",
        "required": [
            "product",
            "product_version",
            "query",
            "filters",
            "sort",
            "exported_at",
            "total",
            "exported",
            "cap",
            "truncated",
            "index",
            "crawl",
        ],
        "properties": {
            "product": {"type": "string"},
            "product_version": {"type": "string"},
            "query": {"type": "string"},
            "filters": {"type": "object", "additionalProperties": _STR_LIST},
            "year_from": {"type": ["integer", "null"]},
            "year_to": {"type": ["integer", "null"]},
            "sort": {"type": "string", "enum": list(SORTS)},
            "search_params": {"type": "string"},
            "format": {"type": "string"},
            "columns": _STR_LIST,
            "exported_at": {"type": "string"},
            "exported_at_source": {"type": "string", "enum": ["index_built_at", "given"]},
            "total": {"type": "integer", "minimum": 0},
            "exported": {"type": "integer", "minimum": 0},
            "cap": {"type": "integer", "minimum": 1},
            "truncated": {"type": "boolean"},
            "message": _NULLABLE_STR,
            "index": {
                "type": "object",
                "required": ["version", "built_at"],
                "properties": {"version": {"type": "string"}, "built_at": {"type": "string"}},
            },
            "documents_in_index": {"type": "integer"},
            "crawl": {
                "type": "object",
                "required": ["first", "last"],
                "properties": {"first": _NULLABLE_STR, "last": _NULLABLE_STR},
            },
        },
    },
    "ExportRecord": {
        "type": "object",
        "required": list(EXPORT_FIELDS),
        "properties": {
            "rank": {"type": "integer", "minimum": 1},
            "score": {"type": "number"},
            "id": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string"},
            "site": {"type": "string"},
            "type": {"type": "string"},
            "themes": _STR_LIST,
            "audience": _STR_LIST,
            "date": _NULLABLE_STR,
            "fetched_at": {"type": "string"},
            "word_count": {"type": "integer"},
            "description": {"type": "string"},
            "snippet": {"type": "string"},
            "text": {"type": "string"},
        },
    },
    "JsonExport": {
        "type": "object",
        "additionalProperties": False,
        "required": ["provenance", "results"],
        "properties": {
            "provenance": _ref("Provenance"),
            "results": {"type": "array", "items": _ref("ExportRecord")},
        },
    },
}


XLSX_MEDIA_TYPE = MEDIA_TYPES[XLSX]
# Suggestions as you type (/api/v1/suggest): kept apart from SCHEMAS, merged below.
SUGGEST_SCHEMAS = {
    "SuggestAnswer": {
        "type": "object",
        "additionalProperties": False,
        "required": ["query", "suggestions"],
        "properties": {
            "query": {"type": "string"},
            "suggestions": {
                "type": "array",
                "maxItems": 20,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["text", "kind", "url"],
                    "properties": {
                        "text": {"type": "string"},
                        "kind": {
                            "type": "string",
                            "enum": ["thema", "doelgroep", "titel", "zoekterm"],
                        },
                        "url": {"type": "string"},
                    },
                },
            },
        },
    }
}
SUGGEST_PATH = {
    "get": {
        "operationId": "suggest",
        "summary": "Suggesties terwijl je typt: titels, thema's, doelgroepen, frequente woorden.",
        "parameters": [
            {
                "name": "q",
                "in": "query",
                "schema": {"type": "string", "maxLength": 100},
                "description": "Wat er al getypt is (minstens 2 tekens voor suggesties).",
            },
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 8},
                "description": "Hoeveel suggesties hoogstens.",
            },
        ],
        "responses": {
            "200": {
                "description": "Suggesties, de beste eerst.",
                "content": {"application/json": {"schema": {"$ref": _REF + "SuggestAnswer"}}},
            },
            "400": {
                "description": "Ongeldige parameter.",
                "content": {"application/json": {"schema": {"$ref": _REF + "Error"}}},
            },
            "503": {
                "description": "Geen zoekindex beschikbaar.",
                "content": {"application/json": {"schema": {"$ref": _REF + "Error"}}},
            },
        },
    }
}


def _json_answer(description: str, schema: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_ERRORS = {
    "400": _json_answer("Ongeldige parameter.", "Error"),
    "503": _json_answer("Geen zoekindex beschikbaar.", "Error"),
}


def openapi_spec() -> dict:
    export_params = [
        _param(
            "format",
            {"type": "string", "enum": [*FORMATS, XLSX, META_FORMAT], "default": "csv"},
            "Exportformaat; 'meta' geeft alleen de herkomst (begeleidend bij csv en ris).",
        ),
        _param(
            "delimiter",
            {"type": "string", "enum": list(DELIMITERS), "default": "comma"},
            "Scheidingsteken van de CSV: 'semicolon' voor Excel in het Nederlands.",
        ),
        _param(
            "headers",
            {"type": "string", "enum": ["en", "nl"], "default": "en"},
            "Kolomkoppen (csv, xlsx): 'nl' geeft Nederlandse koppen, typenamen en bronnamen.",
        ),
        _param(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": DEFAULT_CAP},
            f"Maximaal aantal resultaten (standaard {DEFAULT_CAP}).",
        ),
        _param(
            "with_text", {"type": "string", "enum": ["0", "1", "true", "false"]}, "Volledige tekst."
        ),
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kennisbank jeugdbeleid API",
            "version": product_version(),
            "description": (
                "Zoeken in de kennis van het Vlaamse partnernetwerk lokaal jeugdbeleid. "
                'Elke fout is JSON van de vorm {"error": ..., "status": ...}.'
            ),
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": {
            "/api/v1/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Een pagina zoekresultaten met facetten.",
                    "parameters": SEARCH_PARAMS + PAGE_PARAMS,
                    "responses": {
                        "200": _json_answer("Zoekresultaten.", "SearchAnswer"),
                        **_ERRORS,
                    },
                }
            },
            "/api/v1/facets": {
                "get": {
                    "operationId": "facets",
                    "summary": "Alleen de facettellingen van een zoekopdracht.",
                    "parameters": SEARCH_PARAMS,
                    "responses": {"200": _json_answer("Facetten.", "FacetsAnswer"), **_ERRORS},
                }
            },
            "/api/v1/documents/{doc_id}": {
                "get": {
                    "operationId": "document",
                    "summary": "Eén opgeslagen document met zijn volledige tekst.",
                    "parameters": [
                        {
                            "name": "doc_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 64},
                        }
                    ],
                    "responses": {
                        "200": _json_answer("Het document.", "Document"),
                        "404": _json_answer("Onbekend document.", "Error"),
                        "503": _ERRORS["503"],
                    },
                }
            },
            "/api/v1/suggest": SUGGEST_PATH,
            "/export": {
                "get": {
                    "operationId": "export",
                    "summary": "De volledige resultatenset als download, met herkomst.",
                    "parameters": SEARCH_PARAMS + export_params,
                    "responses": {
                        "200": {
                            "description": "De export (gestreamd).",
                            "content": {
                                "text/csv": {"schema": {"type": "string"}},
                                "application/json": {
                                    "schema": {"oneOf": [_ref("JsonExport"), _ref("Provenance")]}
                                },
                                "application/jsonl": {"schema": {"type": "string"}},
                                "application/x-research-info-systems": {
                                    "schema": {"type": "string"}
                                },
                                "application/x-bibtex": {"schema": {"type": "string"}},
                                XLSX_MEDIA_TYPE: {
                                    "schema": {
                                        "type": "string",
                                        "contentMediaType": "application/zip",
                                    }
                                },
                            },
                        },
                        **_ERRORS,
                    },
                }
            },
            "/feed.atom": {
                "get": {
                    "operationId": "feed",
                    "summary": "Atom-feed met de nieuwste documenten van een zoekopdracht.",
                    "parameters": SEARCH_PARAMS,
                    "responses": {
                        "200": {
                            "description": "Een Atom-feed.",
                            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                        },
                        **_ERRORS,
                    },
                }
            },
        },
        "components": {"schemas": {**SCHEMAS, **SUGGEST_SCHEMAS}},
    }
