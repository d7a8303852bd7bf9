"""Kennisbank jeugdbeleid's web application: the Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from flask import Flask, render_template, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from indexer.build import IndexMissing
from indexer.engine import IndexCorrupt, QueryError, SearchIndex

from . import settings
from .base_url import DEFAULT_BASE_URL, PublicBaseURL, configured_base_url
from .errors import BadParameter, json_error

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-src https://www.youtube-nocookie.com https://www.youtube.com; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
# How long caches and feed readers may keep an answer: feeds change with each index
# build, the OpenSearch description hardly ever.
CACHE_CONTROL = {
    "/feed.atom": "public, max-age=900",
    "/opensearch.xml": "public, max-age=86400",
}
ALLOWED_METHODS = "GET, HEAD"


class SafeJSONProvider(DefaultJSONProvider):
    """JSON with <, > and & escaped, so reflected input is inert even if a browser
    were to sniff the answer as HTML."""

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj, **kwargs) -> str:
        text = super().dumps(obj, **kwargs)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_QUERY_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))  # printable ASCII, % included


class AsciiQueryString:
    """WSGI middleware: percent-encode raw non-ASCII bytes and controls in the query
    string, as a browser would. Werkzeug decodes QUERY_STRING as strict UTF-8, so raw
    invalid bytes (a hand-made request line) would otherwise end in a 500."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if query and not all(0x21 <= ord(ch) < 0x7F for ch in query):
            raw = query.encode("latin-1", "replace")  # WSGI strings are latin-1 bytes
            environ["QUERY_STRING"] = quote(raw, safe=_QUERY_SAFE)
        return self.wsgi_app(environ, start_response)


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app. Settings: DATA_DIR (default: --data-dir / $KENNISBANK_DATA),
    BASE_URL (default: $KENNISBANK_BASE_URL, else http://127.0.0.1:8000)."""
    app = Flask(__name__)
    app.wsgi_app = AsciiQueryString(app.wsgi_app)
    app.json = SafeJSONProvider(app)
    app.config.from_mapping(
        DATA_DIR=str(settings.resolve_data_dir(None)),
        JSON_SORT_KEYS=False,
        BASE_URL=configured_base_url(),
    )
    if test_config:
        app.config.update(test_config)
    app.wsgi_app = PublicBaseURL(app.wsgi_app, app.config["BASE_URL"] or DEFAULT_BASE_URL)
    data_dir = Path(app.config["DATA_DIR"])
    app.extensions["kennisbank.index"] = SearchIndex(data_dir)
    app.config["SAMPLE"] = settings.is_sample(data_dir)

    from . import api, export, feed, sources_view, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(feed.bp)
    app.register_blueprint(sources_view.bp)

    @app.after_request
    def _security_headers(response):
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if response.status_code == 200 and request.path in CACHE_CONTROL:
            response.headers.setdefault("Cache-Control", CACHE_CONTROL[request.path])
        return response

    register_error_handlers(app)
    return app


# Blueprints whose answers programs read (JSON, exports, the feed): their errors are JSON.
JSON_ERROR_BLUEPRINTS = frozenset({"api", "export", "feed"})
# HTTP status -> (JSON message, HTML page message).
HTTP_MESSAGES = {
    400: ("ongeldige aanvraag", "Ongeldige aanvraag."),
    404: ("niet gevonden", "Deze pagina bestaat niet."),
    405: ("methode niet toegestaan", "Methode niet toegestaan."),
    500: ("interne fout", "Er liep iets mis."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.blueprint in JSON_ERROR_BLUEPRINTS


def _error(json_message: str, page_message: str, status: int):
    """The one error answer: `{"error": ..., "status": N}` for programs, the error page
    for people."""
    if _wants_json():
        return json_error(json_message, status)
    return render_template("error.html", message=page_message, status=status), status


def register_error_handlers(app: Flask) -> None:
    """Every error the app answers, in one place."""

    @app.errorhandler(BadParameter)
    @app.errorhandler(QueryError)
    def _bad_parameter(exc):
        return _error(str(exc), str(exc), 400)

    @app.before_request
    def _no_options():
        # GET and HEAD only, OPTIONS included (Flask would answer it with 200): there
        # is no cross-origin API to describe.
        if request.method != "OPTIONS":
            return None
        if _wants_json():
            response = json_error("methode niet toegestaan", 405)
        else:
            body = render_template("error.html", message="Methode niet toegestaan.", status=405)
            response = app.response_class(body, status=405)
        response.headers["Allow"] = ALLOWED_METHODS
        return response

    @app.errorhandler(IndexMissing)
    @app.errorhandler(IndexCorrupt)
    def _no_index(exc):
        log.error("%s", exc)
        message = f"De zoekindex is niet beschikbaar: {exc}"
        return _error(message, message, 503)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if status >= 500:
            log.error("internal error: %s", getattr(exc, "original_exception", None) or exc)
        json_message, page_message = HTTP_MESSAGES.get(status, (exc.name.lower(), exc.name))
        return _error(json_message, page_message, status)


def search_index(app: Flask) -> SearchIndex:
    return app.extensions["kennisbank.index"]
