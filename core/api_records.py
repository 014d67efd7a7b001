"""Orders, customers and reviews as the JSON API receives them, parsed into records.

The field names are the generic file layout's (``order_id``, ``customer_id``, ``mobile``,
``status``, ``paid_amount``, ``created_at`` ...), with an order's lines as ``items``:
``[{"title": ..., "quantity": ..., "price": ..., "sku": ...}]``. Times are ISO 8601; without an
offset they are shop time. A problem raises :class:`FieldError` naming the field.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Mapping

from shopcrm.files import fields as parse
from shopcrm.files.fields import CellError
from shopcrm.files.presets import CUSTOMER_FIELDS, ORDER_FIELDS, REVIEW_FIELDS
from shopcrm.regions import parse_region
from shopcrm.sources import CustomerRecord, OrderItemRecord, OrderRecord, ReviewRecord

ITEM_FIELDS = ("title", "quantity", "price", "sku", "platform_item_id")
_ORDER_KEYS = frozenset(ORDER_FIELDS) - {"item_title", "item_sku", "item_quantity", "item_price"} | {"items"}
_CUSTOMER_KEYS = frozenset(CUSTOMER_FIELDS)
_REVIEW_KEYS = frozenset(REVIEW_FIELDS) | {"is_bad"}


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _timestamp(value: Any) -> dt.datetime | None:
    if isinstance(value, str) and ("T" in value or "+" in value[10:] or value.endswith("Z")):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise CellError(f"not an ISO 8601 time: {value!r}") from None
    return parse.timestamp(value)


def _field(data: Mapping[str, Any], name: str, parser: Callable[[Any], Any] = parse.text, prefix: str = "") -> Any:
    value = data.get(name)
    if value is not None and not isinstance(value, (str, int, float)):
        raise FieldError(prefix + name, f"expected a string or number, not {type(value).__name__}")
    try:
        return parser(value)
    except CellError as exc:
        raise FieldError(prefix + name, str(exc)) from None


def _check_keys(data: Any, allowed: frozenset[str], what: str, prefix: str = "") -> None:
    if not isinstance(data, Mapping):
        raise FieldError(prefix.rstrip(".") or what, f"expected an object, not {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise FieldError(prefix + unknown[0], f"unknown field (fields of {what}: {', '.join(sorted(allowed))})")


def parse_customer(data: Any) -> CustomerRecord:
    _check_keys(data, _CUSTOMER_KEYS, "a customer")
    return _customer(data)


def _customer(data: Mapping[str, Any]) -> CustomerRecord:
    address = _field(data, "address")
    province, city = _field(data, "province"), _field(data, "city")
    if address and not (province and city):
        parsed = parse_region(address)
        province, city = province or parsed[0], city or parsed[1]
    tags = data.get("tags")
    if isinstance(tags, list):
        if not all(isinstance(t, str) for t in tags):
            raise FieldError("tags", "expected a list of strings")
        tag_list = sorted({t.strip() for t in tags if t.strip()})
    else:
        tag_list = _field(data, "tags", parse.tags)
    record = CustomerRecord(
        platform_id=_field(data, "customer_id"), name=_field(data, "name"), mobile=_field(data, "mobile"),
        email=_field(data, "email"), gender=_field(data, "gender", parse.gender), province=province, city=city,
        address=address, birthday=_field(data, "birthday", parse.date), tags=tag_list,
    )
    if not record.platform_id and not record.mobile:
        raise FieldError("customer_id", "give a customer_id or a mobile")
    return record


def parse_order(data: Any) -> OrderRecord:
    _check_keys(data, _ORDER_KEYS, "an order")
    paid = _field(data, "paid_amount", parse.money)
    refund = _field(data, "refund_amount", parse.money)
    total = _field(data, "total_amount", parse.money)
    status = _field(data, "status", lambda v: parse.status(v, paid, refund))
    created = _field(data, "created_at", _timestamp)
    if created is None:
        raise FieldError("created_at", "the order's creation time is missing")
    items = []
    raw_items = data.get("items") or []
    if not isinstance(raw_items, list):
        raise FieldError("items", "expected a list of order lines")
    for index, raw in enumerate(raw_items):
        prefix = f"items[{index}]."
        _check_keys(raw, frozenset(ITEM_FIELDS), "an order line", prefix)
        title = _field(raw, "title", prefix=prefix)
        if not title:
            raise FieldError(prefix + "title", "an order line needs a title")
        items.append(OrderItemRecord(
            title=title, quantity=_field(raw, "quantity", parse.quantity, prefix),
            price=_field(raw, "price", parse.money, prefix), sku=_field(raw, "sku", prefix=prefix),
            platform_item_id=_field(raw, "platform_item_id", prefix=prefix),
        ))
    zero = parse.money("0")
    return OrderRecord(
        platform_order_id=_field(data, "order_id", parse.order_id),
        status=status,
        customer=_customer(data),
        total_amount=total if total is not None else (paid or zero),
        paid_amount=paid or zero,
        refund_amount=refund or zero,
        created_at=created,
        paid_at=_field(data, "paid_at", _timestamp),
        shipped_at=_field(data, "shipped_at", _timestamp),
        signed_at=_field(data, "signed_at", _timestamp),
        closed_at=_field(data, "closed_at", _timestamp),
        carrier=_field(data, "carrier"),
        tracking_number=_field(data, "tracking_number", parse.waybill),
        items=items,
    )


def parse_review(data: Any) -> ReviewRecord:
    _check_keys(data, _REVIEW_KEYS, "a review")
    reviewed = _field(data, "reviewed_at", _timestamp)
    if reviewed is None:
        raise FieldError("reviewed_at", "the review's time is missing")
    is_bad = data.get("is_bad")
    if is_bad is not None and not isinstance(is_bad, bool):
        raise FieldError("is_bad", f"expected true or false, not {type(is_bad).__name__}")
    return ReviewRecord(
        platform_order_id=_field(data, "order_id", parse.order_id),
        rating=_field(data, "rating", parse.rating),
        created_at=reviewed,
        platform_review_id=_field(data, "review_id"),
        content=_field(data, "content") or "",
        is_bad=is_bad,
    )
