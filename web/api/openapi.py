"""The OpenAPI 3.1 document of the JSON API, served at ``/api/v1/openapi.json``.

The fields of an order, an order line, a customer and a review are those :mod:`shopcrm.api_records`
accepts (the core's field lists); each has its schema and description here, and a field added
to the core without one fails at import. Schemas are JSON Schema 2020-12, as OpenAPI 3.1
uses; unknown fields are refused by the API and so are not allowed by the schemas either.
"""
from __future__ import annotations

from functools import cache
from typing import Any

from shopcrm.api_records import ITEM_FIELDS
from shopcrm.files.presets import CUSTOMER_FIELDS, ORDER_FIELDS, REVIEW_FIELDS
from shopcrm.sources import OrderStatus
from shopcrm.web.api.payload import MAX_BODY_BYTES, MAX_ITEMS

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"

ORDER_KEYS: tuple[str, ...] = tuple(f for f in ORDER_FIELDS if not f.startswith("item_")) + ("items",)
"""An order's fields: the file layout's, with its lines as ``items`` instead of ``item_*``."""

_TEXT = {"type": ["string", "null"]}
_AMOUNT = {"type": ["string", "number", "null"], "examples": ["88.50", 88.5]}
_LOCAL_TIME = ("ISO 8601 (`2026-11-11T10:00:00+08:00`); without an offset the time is the "
               "shop's local time, and `2026-11-11 10:00:00` is accepted too.")

FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "order_id": {"type": ["string", "integer"], "minLength": 1,
                 "description": "The order's number on the platform. With the shop it identifies "
                                "the order: posting the same number again updates that order."},
    "customer_id": {**_TEXT, "description": "The buyer's platform ID, e.g. the Taobao buyer nick. "
                                            "Give a customer_id or a mobile."},
    "name": {**_TEXT, "description": "The customer's (or the recipient's) name."},
    "mobile": {"type": ["string", "integer", "null"],
               "description": "A mainland mobile number; +86, 0086, spaces and dashes are removed. "
                              "Give a customer_id or a mobile."},
    "email": {**_TEXT, "description": "Email address."},
    "gender": {"enum": ["m", "f", "男", "女", None], "description": "m or f (男 or 女)."},
    "birthday": {**_TEXT, "description": "A date, `1990-05-01`."},
    "tags": {"type": ["array", "string", "null"], "items": {"type": "string"},
             "description": "Tags added to the customer: a list, or one string separated by "
                            "commas. Tags are only ever added, never removed."},
    "province": {**_TEXT, "description": "Province; read from the address when missing."},
    "city": {**_TEXT, "description": "City; read from the address when missing."},
    "address": {**_TEXT, "description": "Delivery address."},
    "status": {"type": "string", "minLength": 1,
               "description": "The order's status: one of "
                              + ", ".join(f"`{s.value}`" for s in OrderStatus)
                              + ", a Taobao status code (`WAIT_BUYER_PAY`, `WAIT_SELLER_SEND_GOODS`, "
                                "`WAIT_BUYER_CONFIRM_GOODS`, `TRADE_BUYER_SIGNED`, `TRADE_FINISHED`, "
                                "`TRADE_CLOSED` ...) or the seller centre's text (交易成功 ...). A closed "
                                "order with a refund is `refunded`.",
               "examples": ["paid", "WAIT_SELLER_SEND_GOODS", "交易成功"]},
    "total_amount": {**_AMOUNT, "description": "The order's total in yuan; the amount paid when "
                                               "missing."},
    "paid_amount": {**_AMOUNT, "description": "What the buyer paid, in yuan."},
    "refund_amount": {**_AMOUNT, "description": "What was refunded, in yuan."},
    "created_at": {"type": "string", "description": "When the order was placed. " + _LOCAL_TIME},
    "paid_at": {**_TEXT, "description": "When it was paid. " + _LOCAL_TIME},
    "shipped_at": {**_TEXT, "description": "When it was shipped. " + _LOCAL_TIME},
    "signed_at": {**_TEXT, "description": "When the buyer signed for it. " + _LOCAL_TIME},
    "closed_at": {**_TEXT, "description": "When it was closed. " + _LOCAL_TIME},
    "carrier": {**_TEXT, "description": "The courier the parcel went with (物流公司), e.g. 中通快递. Left "
                                        "out, the stored one is kept."},
    "tracking_number": {"type": ["string", "integer", "null"],
                        "description": "The parcel's waybill number (运单号). Left out, the stored one is "
                                       "kept."},
    "items": {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/OrderLine"},
              "description": "The order's lines. They are stored when the order is new."},
}

ITEM_SCHEMAS: dict[str, dict[str, Any]] = {
    "title": {"type": "string", "minLength": 1, "description": "The item's title."},
    "quantity": {"type": ["integer", "string", "null"], "description": "How many; 1 when missing."},
    "price": {"type": ["number", "string", "null"], "description": "Unit price in yuan."},
    "sku": {**_TEXT, "description": "The shop's code for the item (商家编码)."},
    "platform_item_id": {**_TEXT, "description": "The item's ID on the platform."},
}

REVIEW_SCHEMAS: dict[str, dict[str, Any]] = {
    "order_id": {"type": ["string", "integer"], "minLength": 1,
                 "description": "The reviewed order's number on the platform; the order must have "
                                "been sent before (the review belongs to its buyer)."},
    "review_id": {**_TEXT, "description": "The review's ID on the platform. With the shop it "
                                          "identifies the review; without it an order has one review."},
    "rating": {"type": ["integer", "string"], "examples": [5, "差评"],
               "description": "1 to 5, or Taobao's result: 好评 (5), 中评 (3), 差评 (1)."},
    "content": {**_TEXT, "description": "What the buyer wrote."},
    "reviewed_at": {"type": "string", "description": "When the review was left. " + _LOCAL_TIME},
    "is_bad": {"type": ["boolean", "null"],
               "description": "Whether it is a bad review; by default a rating of 2 or less. A new, "
                              "recent bad review alerts the shopkeeper when that automation is on."},
}

_missing = ((set(ORDER_KEYS) | set(CUSTOMER_FIELDS)) - set(FIELD_SCHEMAS)
            | set(ITEM_FIELDS) - set(ITEM_SCHEMAS) | set(REVIEW_FIELDS) - set(REVIEW_SCHEMAS))
assert not _missing, f"fields without an OpenAPI schema: {sorted(_missing)}"

_IDENTIFIED = [{"required": ["customer_id"]}, {"required": ["mobile"]}]

EXAMPLE_ORDER: dict[str, Any] = {
    "order_id": "3712893019283746",
    "customer_id": "tb_xiaowang",
    "name": "王小明",
    "mobile": "13812345678",
    "address": "浙江省 杭州市 西湖区 文三路90号",
    "status": "WAIT_SELLER_SEND_GOODS",
    "paid_amount": "128.50",
    "created_at": "2026-11-11T00:05:12+08:00",
    "paid_at": "2026-11-11T00:06:00+08:00",
    "items": [{"title": "保温杯 500ml", "quantity": 2, "price": "64.25"}],
}
EXAMPLE_REVIEW: dict[str, Any] = {
    "order_id": "3712893019283746", "rating": "差评", "content": "杯子有划痕，客服也不回复",
    "reviewed_at": "2026-11-16T21:40:00+08:00",
}
EXAMPLE_CUSTOMER: dict[str, Any] = {
    "customer_id": "tb_lily", "name": "李莉", "mobile": "13900001111", "gender": "f",
    "birthday": "1992-06-18", "tags": ["会员"],
}


def _object(properties: dict[str, Any], required: list[str], description: str,
            **extra: Any) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties,
            "required": required, "additionalProperties": False, **extra}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _push_operation(kind: str, schema: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": f"push{schema}s",
        "summary": f"Insert or update {kind}",
        "description": (
            f"One {schema.lower()} object, or a list of at most {MAX_ITEMS}. Each is inserted, or "
            "updated when it exists; posting the same data again changes nothing. A request is "
            "all or nothing: if any item is invalid, nothing is saved and the answer (422) lists "
            "every invalid item."
        ),
        "requestBody": {
            "required": True,
            "content": {"application/json": {
                "schema": {"oneOf": [_ref(schema),
                                     {"type": "array", "items": _ref(schema), "maxItems": MAX_ITEMS}]},
                "examples": {"one": {"value": example}, "list": {"value": [example]}},
            }},
        },
        "responses": {
            "200": {"description": f"Saved. Counts of {kind}: new, changed, already as sent.",
                    "content": {"application/json": {"schema": _ref("UpsertResult")}}},
            "400": _problem("The body is not valid JSON."),
            "401": {**_problem("No token, or a token that is unknown or revoked."),
                    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
            "413": _problem(f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB or holds "
                            f"more than {MAX_ITEMS} items."),
            "415": _problem("The body is not sent as application/json."),
            "422": _problem("An item is invalid: `errors` names each one by its position and field. "
                            "Nothing was saved."),
        },
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The document (built once; it depends on code only)."""
    order = _object({name: FIELD_SCHEMAS[name] for name in ORDER_KEYS},
                    ["order_id", "status", "created_at"],
                    "An order with its buyer, sent whole: its status and amounts replace the "
                    "stored ones; its times, courier and waybill number too, but one left out (or "
                    "null) keeps what is stored. The buyer's fields left out (or null) keep what "
                    "is known.",
                    anyOf=_IDENTIFIED, examples=[EXAMPLE_ORDER])
    line = _object(ITEM_SCHEMAS, ["title"], "One line of an order.")
    customer = _object({name: FIELD_SCHEMAS[name] for name in CUSTOMER_FIELDS}, [],
                       "A customer. Identified by customer_id, else by mobile; fields left out "
                       "(or null) keep what is known.", anyOf=_IDENTIFIED, examples=[EXAMPLE_CUSTOMER])
    review = _object(REVIEW_SCHEMAS, ["order_id", "rating", "reviewed_at"],
                     "A buyer's review of an order. Sending the same review again changes nothing; "
                     "a changed rating or text updates it.", examples=[EXAMPLE_REVIEW])
    counts = {name: {"type": "integer", "minimum": 0, "description": description}
              for name, description in (("inserted", "New."), ("updated", "Changed."),
                                        ("unchanged", "Already as sent."))}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "ShopCRM API",
            "version": API_VERSION,
            "description": "Push a shop's orders, customers and reviews into ShopCRM as they happen. "
                           "Authenticate with an API token of the shop: "
                           "`Authorization: Bearer <token>`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/orders": {"post": _push_operation("orders", "Order", EXAMPLE_ORDER)},
            "/customers": {"post": _push_operation("customers", "Customer", EXAMPLE_CUSTOMER)},
            "/reviews": {"post": _push_operation("reviews", "Review", EXAMPLE_REVIEW)},
            "/openapi.json": {"get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI document.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An API token of the shop, made by an administrator on the API "
                               "tokens page or with `shopcrm tokens create NAME`.",
            }},
            "schemas": {
                "Order": order,
                "OrderLine": line,
                "Customer": customer,
                "Review": review,
                "UpsertResult": _object(counts, list(counts), "What the request changed."),
                "FieldProblem": _object({
                    "index": {"type": "integer", "minimum": 0,
                              "description": "The item's position in the request (0 for a single "
                                             "object)."},
                    "field": {"type": ["string", "null"],
                              "description": "The field at fault, e.g. `paid_amount` or "
                                             "`items[0].title`; null when the item as a whole is."},
                    "message": {"type": "string", "description": "What is wrong with it."},
                }, ["index", "field", "message"], "One invalid item."),
                "Error": _object({
                    "error": {"type": "string", "description": "What went wrong."},
                    "errors": {"type": "array", "items": _ref("FieldProblem"),
                               "description": "Each invalid item (422 only)."},
                }, ["error"], "An error."),
            },
        },
    }
