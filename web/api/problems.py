"""Errors of the JSON API, as JSON: ``{"error": "...", "errors": [{"index", "field", "message"}]}``.

``error`` says what is wrong in one sentence; ``errors`` (for invalid items only) names each
invalid item by its position in the request and the field at fault (``items[0].title`` for a
field of an order line). Messages are in English: they are read by the developers of the
systems that call the API, and ``field`` is what a program acts on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify
from werkzeug.exceptions import HTTPException

STATUS_MESSAGES = {
    400: "the request could not be understood",
    413: "the request body is too large",
    415: "send the body as JSON with Content-Type: application/json",
}
"""Messages for errors raised outside the API's own checks (werkzeug's, by status)."""


@dataclass(slots=True, frozen=True)
class FieldProblem:
    """One invalid item of a request: its position, the field at fault (``None`` when the
    item as a whole is wrong) and why."""

    index: int
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class ApiError(Exception):
    """An answer other than success, with its HTTP status."""

    def __init__(self, status: int, message: str, errors: list[FieldProblem] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}


def problem_response(error: ApiError) -> Response:
    body: dict[str, Any] = {"error": error.message}
    if error.errors is not None:
        body["errors"] = [problem.as_dict() for problem in error.errors]
    response = jsonify(body)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def http_problem(error: HTTPException) -> Response:
    """werkzeug's errors inside the API (a body over the size limit, say) as JSON."""
    status = error.code or 500
    return problem_response(ApiError(status, STATUS_MESSAGES.get(status, error.name.lower())))


def register(bp: Blueprint) -> None:
    """Answer every error of ``bp``'s views as JSON."""
    bp.register_error_handler(ApiError, problem_response)
    for status in STATUS_MESSAGES:
        bp.register_error_handler(status, http_problem)
