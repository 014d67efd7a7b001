"""Reading an API request: a JSON body holding one object or a list of objects, parsed into
records by :mod:`shopcrm.api_records`.

Limits keep one request one short transaction: at most :data:`MAX_BODY_BYTES` of body and
:data:`MAX_ITEMS` objects (a shop system sends more in several requests). Every item is
parsed before anything is written; when any is invalid, the answer is 422 listing each invalid
item with its position and field, and nothing is written.
"""
from __future__ import annotations

import json
from typing import Any, Callable, TypeVar

from flask import Request

from shopcrm.api_records import FieldError
from shopcrm.sources import CustomerRecord, OrderRecord, ReviewRecord
from shopcrm.web.api.problems import ApiError, FieldProblem

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_ITEMS = 1000

Record = TypeVar("Record", OrderRecord, CustomerRecord, ReviewRecord)

JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number",
              bool: "boolean", type(None): "null"}


def json_type(value: Any) -> str:
    return JSON_TYPES.get(type(value), type(value).__name__)


def read_items(request: Request) -> list[Any]:
    """The body's objects: its list, or its one object as a list of one."""
    if not request.is_json:
        raise ApiError(415, "send the body as JSON with Content-Type: application/json")
    request.max_content_length = MAX_BODY_BYTES
    raw = request.get_data(cache=False)  # 413 past the limit
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None
    if isinstance(body, dict):
        return [body]
    if not isinstance(body, list):
        raise ApiError(422, f"the body must be an object or a list of objects, not {json_type(body)}")
    if len(body) > MAX_ITEMS:
        raise ApiError(413, f"too many items: send at most {MAX_ITEMS} in one request "
                            f"(this one has {len(body)})")
    return body


def parse_items(items: list[Any], parse: Callable[[Any], Record]) -> tuple[list[Record], list[FieldProblem]]:
    """Every valid item parsed with ``parse`` (each record's ``row`` set to its position), and
    a problem for each invalid one."""
    records: list[Record] = []
    problems: list[FieldProblem] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(FieldProblem(index, None, f"expected an object, not {json_type(item)}"))
            continue
        try:
            record = parse(item)
        except FieldError as exc:
            problems.append(FieldProblem(index, exc.field, exc.message))
            continue
        record.row = index
        records.append(record)
    return records, problems


def invalid_items(problems: list[FieldProblem], count: int) -> ApiError:
    """The 422 answer for ``problems`` among ``count`` items, in the items' order."""
    problems = sorted(problems, key=lambda problem: problem.index)
    if count == 1:
        first = problems[0]
        message = f"{first.field}: {first.message}" if first.field else first.message
        summary = f"the item is invalid ({message}); nothing was saved"
    else:
        summary = f"{len(problems)} of {count} items are invalid; nothing was saved"
    return ApiError(422, summary, problems)
