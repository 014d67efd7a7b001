"""Campaigns and automations of a period side by side: what each cost and what it brought back.

* **Campaigns** started in the period (the latest :data:`CAMPAIGN_LIMIT` of them), with the
  figures of their own report (:func:`shopcrm.campaign_report.report`): cost (billed parts x
  the channel's price), attributed sales, ``roi`` = sales / cost.
* **Automations**, by trigger, over the period's days (:func:`shopcrm.automation_report.figures`):
  sales are the attributed sales, or for payment reminders the amount recovered; the cost is
  the billed parts of the messages the gateway accepted in the period times their channel's
  price (one grouped query).

Both lists are sorted by return on cost, best first; those without a cost come last.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopcrm import automation_report, campaign_report
from shopcrm.config import Config
from shopcrm.models import Automation, Campaign, Message
from shopcrm.report_period import Window
from shopcrm.shop_metrics import money
from shopcrm.template_preview import price_per_part
from shopcrm.triggers import Trigger

CAMPAIGN_LIMIT = 12
"""Campaigns one period shows: each needs its own report."""


@dataclass(slots=True, frozen=True)
class Return:
    """One campaign (``key`` its id) or automation trigger (``key`` its name)."""

    key: str
    name: str
    sent: int
    cost: Decimal
    sales: Decimal

    @property
    def roi(self) -> float | None:
        """Sales per yuan spent; ``None`` without a cost."""
        return round(float(self.sales / self.cost), 2) if self.cost else None


def _by_roi(rows: list[Return]) -> list[Return]:
    return sorted(rows, key=lambda r: (r.roi is None, -(r.roi or 0), -r.sales, r.name))


def campaigns(session: Session, config: Config, shop_id: int, window: Window,
              limit: int = CAMPAIGN_LIMIT) -> list[Return]:
    """The campaigns started in ``window`` (the latest ``limit``) with cost, sales and ROI."""
    started = session.scalars(select(Campaign).where(
        Campaign.shop_id == shop_id, Campaign.started_at >= window.start, Campaign.started_at < window.end)
        .order_by(Campaign.started_at.desc(), Campaign.id.desc()).limit(limit))
    rows = []
    for campaign in started:
        figures = campaign_report.report(session, config, campaign)
        rows.append(Return(str(campaign.id), campaign.name, figures["sent"], money(figures["cost"]),
                           money(figures["sales"])))
    return _by_roi(rows)


def automations(session: Session, config: Config, shop_id: int, window: Window, days: int,
                triggers: Iterable[Trigger]) -> list[Return]:
    """Each of ``triggers`` that sent in the ``days`` days from ``window.start`` with cost,
    sales (or the amount recovered) and ROI."""
    known = {trigger.name: trigger for trigger in triggers}
    figures = automation_report.figures(session, shop_id, known.values(), days,
                                        now=window.start + dt.timedelta(days=days))
    costs = _costs(session, config, shop_id, window)
    rows = []
    for name, found in figures.items():
        if not found.sent:
            continue
        sales = found.recovered_amount if found.recovery else found.sales
        rows.append(Return(name, str(known[name].label), found.sent, costs.get(name, Decimal("0.00")),
                           money(sales)))
    return _by_roi(rows)


def _costs(session: Session, config: Config, shop_id: int, window: Window) -> dict[str, Decimal]:
    """Per trigger: the billed parts of its accepted messages sent in ``window`` times the price
    of the channel each went through."""
    sent = func.coalesce(Message.sent_at, Message.created_at)
    rows = session.execute(
        select(Automation.trigger, Message.channel, func.coalesce(func.sum(Message.parts), 0))
        .select_from(Message).join(Automation, Automation.id == Message.automation_id)
        .where(Automation.shop_id == shop_id, campaign_report.ACCEPTED, sent >= window.start, sent < window.end)
        .group_by(Automation.trigger, Message.channel))
    costs: dict[str, Decimal] = {}
    prices: dict[str, Decimal] = {}
    for trigger, channel, parts in rows:
        if channel not in prices:
            prices[channel] = price_per_part(session, config, channel, shop_id)
        costs[trigger] = costs.get(trigger, Decimal(0)) + prices[channel] * int(parts)
    return {trigger: money(cost) for trigger, cost in costs.items()}


__all__ = ["CAMPAIGN_LIMIT", "Return", "automations", "campaigns"]
