"""A campaign's report and recipients as CSV downloads: streamed, audited, masked.

Both are UTF-8 with a byte order mark (so Excel reads the Chinese), written a few hundred rows
at a time on a session of their own while the response downloads, as the customer export does
(:mod:`shopcrm.web.csv_download`). Mobiles are masked unless the user's role may see them
(:mod:`shopcrm.web.masking`); times are on the shop's clock. When the download ends (or is
broken off) the audit log records who exported what and how many rows were sent.

The labels are translated before the download starts: the rows are written after the view has
returned, outside its request.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Iterator, Sequence

from flask import Response
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from shopcrm.campaign_report import by_day, recipients_csv_rows, report
from shopcrm.config import Config
from shopcrm.mobiles import mask_mobile
from shopcrm.models import Campaign
from shopcrm.web.campaign_form import to_local
from shopcrm.web.campaign_labels import (CONTROL_FIGURES, FIGURES, MESSAGE_STATUS_LABELS, SKIP_REASON_LABELS,
                                         plain_figure)
from shopcrm.web.csv_download import audited_csv
from shopcrm.web.masking import may_see_full_numbers

EXPORT_ROLE = "operator"
"""The lowest role that may download a campaign's report or recipients; viewers may not."""

Rows = Callable[[Session, Campaign], Iterable[Sequence[Any]]]


def report_rows(config: Config, labels: dict[str, str]) -> Rows:
    """The report's figures, its exclusions by reason and its buyers and sales by day."""

    def rows(session: Session, campaign: Campaign) -> Iterator[Sequence[Any]]:
        figures = report(session, config, campaign)
        yield [labels["figure"], labels["value"]]
        for figure in (*FIGURES, *CONTROL_FIGURES[1:]):
            yield [labels[figure.key], plain_figure(figures[figure.key], figure.kind)]
        yield [labels["attribution_days"], figures["attribution_days"]]
        yield []
        yield [labels["excluded"], labels["customers"]]
        for reason, count in figures["excluded"].items():
            yield [labels.get(f"reason:{reason}", reason), count]
        yield []
        yield [labels["day"], labels["buyers"], labels["sales"]]
        for day in by_day(session, campaign):
            yield [day["day"], day["buyers"], plain_figure(day["sales"], "money")]

    return rows


def report_labels() -> dict[str, str]:
    """Every label :func:`report_rows` writes, translated for the current user."""
    labels = {figure.key: str(figure.label) for figure in (*FIGURES, *CONTROL_FIGURES)}
    labels.update({f"reason:{reason}": str(label) for reason, label in SKIP_REASON_LABELS.items()})
    labels.update(figure=_("Figure"), value=_("Value"), attribution_days=_("Attribution window (days)"),
                  excluded=_("Left out because"), customers=_("Customers"), day=_("Day after sending"),
                  buyers=_("Buyers"), sales=_("Sales (yuan)"))
    return labels


def recipient_rows(timezone: str, masked: bool, labels: dict[str, str]) -> Rows:
    """One row per outbox message: customer, mobile, status, reason, parts, times, error code."""

    def when(moment: dt.datetime | None) -> str:
        return to_local(moment, timezone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""

    def rows(session: Session, campaign: Campaign) -> Iterator[Sequence[Any]]:
        yield [labels["customer"], labels["mobile"], labels["status"], labels["reason"], labels["parts"],
               labels["sent_at"], labels["delivered_at"], labels["error_code"]]
        for customer_id, to, status, reason, parts, sent_at, delivered_at, error_code in \
                recipients_csv_rows(session, campaign):
            yield [customer_id or "", mask_mobile(to) if masked and to else to,
                   labels.get(f"status:{status}", status), labels.get(f"reason:{reason}", reason or ""),
                   parts, when(sent_at), when(delivered_at), error_code or ""]

    return rows


def recipient_labels() -> dict[str, str]:
    labels = {f"status:{status}": str(label) for status, label in MESSAGE_STATUS_LABELS.items()}
    labels.update({f"reason:{reason}": str(label) for reason, label in SKIP_REASON_LABELS.items()})
    labels.update(customer=_("Customer id"), mobile=_("Mobile"), status=_("Status"), reason=_("Left out because"),
                  parts=_("Billed parts"), sent_at=_("Sent at (shop time)"),
                  delivered_at=_("Delivered at (shop time)"), error_code=_("Error code"))
    return labels


def csv_download(campaign_id: int, what: str, filename: str, rows: Rows) -> Response:
    """Stream ``rows`` of campaign ``campaign_id`` as ``filename``; audited as ``campaign.export``."""
    masked = not may_see_full_numbers()

    def campaign_rows(session: Session) -> Iterable[Sequence[Any]]:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None, "the view found the campaign"
        return rows(session, campaign)

    def details(written: int, finished: bool) -> dict[str, Any]:
        return {"what": what, "rows": written, "masked": masked, "finished": finished}

    return audited_csv(filename, campaign_rows, "campaign.export", f"campaign:{campaign_id}", details)


__all__ = ["EXPORT_ROLE", "csv_download", "recipient_labels", "recipient_rows", "report_labels", "report_rows"]
