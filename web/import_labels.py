"""How the import pages name what a file holds: its kind, its layouts and each field.

The field names themselves (``order_id``, ``paid_amount`` ...) are the core's
(:mod:`shopcrm.files.presets`); these are the names an operator reads beside them.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shopcrm.files.presets import FIELDS, PRESETS

KIND_LABELS = {
    "orders": _l("Orders"),
    "customers": _l("Customers"),
    "reviews": _l("Reviews"),
}
"""What a file can hold, in the order the upload form offers them."""

PRESET_LABELS = {
    "generic": _l("Generic (English column names)"),
    "taobao": _l("Taobao/Tmall export"),
}
"""The core's layouts (presets); a layout added later shows its own label."""

FIELD_LABELS = {
    "order_id": _l("Order number"),
    "customer_id": _l("Buyer ID"),
    "name": _l("Full name"),
    "mobile": _l("Mobile"),
    "email": _l("Email"),
    "gender": _l("Gender"),
    "birthday": _l("Birthday"),
    "tags": _l("Tags"),
    "province": _l("Province"),
    "city": _l("City"),
    "address": _l("Address"),
    "status": _l("Order status"),
    "total_amount": _l("Order total"),
    "paid_amount": _l("Amount paid"),
    "refund_amount": _l("Amount refunded"),
    "created_at": _l("Order time"),
    "paid_at": _l("Payment time"),
    "shipped_at": _l("Shipping time"),
    "signed_at": _l("Time signed for"),
    "closed_at": _l("Time closed"),
    "carrier": _l("Courier"),
    "tracking_number": _l("Waybill number"),
    "item_title": _l("Item title"),
    "item_sku": _l("Item SKU"),
    "item_quantity": _l("Item quantity"),
    "item_price": _l("Item price"),
    "review_id": _l("Review ID"),
    "rating": _l("Rating (1–5, or 好评/中评/差评)"),
    "content": _l("Review text"),
    "reviewed_at": _l("Review time"),
}

assert set(KIND_LABELS) == set(FIELDS), "every kind of file needs a label"
assert set(FIELD_LABELS) >= {name for fields in FIELDS.values() for name in fields}, \
    "every field needs a label"


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name


def preset_label(kind: str, name: str) -> str:
    """The layout's translated name, else the core's own label for it."""
    label = PRESET_LABELS.get(name)
    if label is not None:
        return str(label)
    preset = PRESETS.get(kind, {}).get(name)
    return preset.label if preset is not None else name
