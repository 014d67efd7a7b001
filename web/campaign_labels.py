"""How the campaign pages name and format things: statuses, skip reasons and report figures.

The report's figures come from :func:`shopcrm.campaign_report.report`; :data:`FIGURES` gives
each one its label and kind, and :func:`format_figure` shows it the way its kind reads (counts
grouped by thousands, money in yuan with two decimals (a price per SMS part with up to four), rates as percentages, "—" for a figure
without a base).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from flask_babel import format_decimal, lazy_gettext as _l

from shopcrm.models.campaign import CAMPAIGN_STATUSES
from shopcrm.models.message import MESSAGE_STATUSES, SKIP_REASONS

CAMPAIGN_STATUS_LABELS = {
    "draft": _l("Draft"),
    "scheduled": _l("Scheduled"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "cancelled": _l("Cancelled"),
}
assert set(CAMPAIGN_STATUS_LABELS) == set(CAMPAIGN_STATUSES), "every campaign status needs a label"

MESSAGE_STATUS_LABELS = {
    "pending": _l("Waiting to send"),
    "sending": _l("With the gateway"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
    "skipped": _l("Left out"),
}
assert set(MESSAGE_STATUS_LABELS) == set(MESSAGE_STATUSES), "every message status needs a label"

SKIP_REASON_LABELS = {
    "opted_out": _l("Opted out"),
    "frequency_cap": _l("Frequency cap reached"),
    "invalid_number": _l("No valid mobile number"),
    "control_group": _l("Control group"),
    "blacklisted": _l("Blacklisted (bad review)"),
    "low_responder": _l("Low responder"),
    "no_longer_applies": _l("No longer applies"),
    "cancelled": _l("Campaign cancelled"),
    "duplicate_number": _l("Same number as another customer"),
    "invalid_email": _l("No valid email address"),
    "duplicate_email": _l("Same email address as another customer"),
}
assert set(SKIP_REASON_LABELS) == set(SKIP_REASONS), "every skip reason needs a label"

Kind = Literal["count", "money", "price", "rate", "ratio"]


@dataclass(slots=True, frozen=True)
class Figure:
    key: str
    label: Any
    kind: Kind


FIGURES = (
    Figure("target", _l("Customers in the segment"), "count"),
    Figure("control", _l("Control group (not messaged)"), "count"),
    Figure("sent", _l("Sent"), "count"),
    Figure("delivered", _l("Delivered"), "count"),
    Figure("failed", _l("Failed"), "count"),
    Figure("pending", _l("Still sending"), "count"),
    Figure("billed_parts", _l("Billed SMS parts"), "count"),
    Figure("cost", _l("Cost (yuan)"), "money"),
    Figure("buyers", _l("Buyers"), "count"),
    Figure("response_rate", _l("Response rate (buyers / delivered)"), "rate"),
    Figure("orders", _l("Orders"), "count"),
    Figure("sales", _l("Sales (yuan)"), "money"),
    Figure("aov", _l("Average order value (yuan)"), "money"),
    Figure("conversion_rate", _l("Conversion rate (buyers / sent)"), "rate"),
    Figure("roi", _l("Return on cost (sales / cost)"), "ratio"),
)
"""The report's figures in the order the page and the CSV show them (exclusions apart)."""

CONTROL_FIGURES = (
    Figure("conversion_rate", _l("Buyer rate of the recipients"), "rate"),
    Figure("control_buyer_rate", _l("Buyer rate of the control group"), "rate"),
    Figure("lift", _l("Lift"), "rate"),
    Figure("incremental_sales", _l("Incremental sales (yuan)"), "money"),
)
"""The comparison with the control group."""

NONE = "—"


def campaign_status_label(status: str) -> str:
    label = CAMPAIGN_STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def message_status_label(status: str) -> str:
    label = MESSAGE_STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def skip_reason_label(reason: str | None) -> str:
    if reason is None:
        return ""
    label = SKIP_REASON_LABELS.get(reason)
    return str(label) if label is not None else reason


def format_figure(value: Any, kind: Kind) -> str:
    """``value`` as a figure of ``kind`` reads on the page ("—" for ``None``)."""
    if value is None:
        return NONE
    if kind == "count":
        return str(format_decimal(int(value), "#,##0"))
    if kind == "money":
        return str(format_decimal(Decimal(str(value)), "#,##0.00"))
    if kind == "price":  # a price per SMS part: fractions of a fen
        return str(format_decimal(Decimal(str(value)), "#,##0.00##"))
    if kind == "rate":
        return str(format_decimal(Decimal(str(value)) * 100, "#,##0.0")) + "%"
    return str(format_decimal(Decimal(str(value)), "#,##0.00"))


def plain_figure(value: Any, kind: Kind) -> str:
    """``value`` for a CSV cell: no thousands separator, rates as percentages, empty for ``None``."""
    if value is None:
        return ""
    if kind == "count":
        return str(int(value))
    if kind == "rate":
        return f"{Decimal(str(value)) * 100:.2f}%"
    return f"{Decimal(str(value)):.2f}"


__all__ = ["CAMPAIGN_STATUS_LABELS", "CONTROL_FIGURES", "FIGURES", "Figure", "MESSAGE_STATUS_LABELS",
           "SKIP_REASON_LABELS", "campaign_status_label", "format_figure", "message_status_label",
           "plain_figure", "skip_reason_label"]
