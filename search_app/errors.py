"""One error shape for every JSON error: `{"error": message, "status": code}`."""

from __future__ import annotations

from flask import jsonify


class BadParameter(ValueError):
    """A request parameter that cannot be used; the message is shown to the user."""


def error_body(message: str, status: int) -> dict:
    return {"error": message, "status": status}


def json_error(message: str, status: int):
    response = jsonify(error_body(message, status))
    response.status_code = status
    return response
