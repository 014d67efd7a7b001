"""How order statuses read in the UI, and the steps of an order's timeline."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "pending_payment": _l("Awaiting payment"),
    "paid": _l("Paid"),
    "shipped": _l("Shipped"),
    "signed": _l("Signed for"),
    "completed": _l("Completed"),
    "closed": _l("Closed"),
    "refunded": _l("Refunded"),
}
STEP_LABELS = {**STATUS_LABELS, "pending_payment": _l("Ordered")}
"""A timeline's first step is the order being placed, whatever came after."""

STATUS_STEPS = (
    ("pending_payment", "created_at"),
    ("paid", "paid_at"),
    ("shipped", "shipped_at"),
    ("signed", "signed_at"),
    ("closed", "closed_at"),
    ("refunded", "closed_at"),
)
"""(status, the order's time column) in the order a timeline shows them."""


def status_label(status: str) -> str:
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def step_label(status: str) -> str:
    return str(STEP_LABELS.get(status, status))
