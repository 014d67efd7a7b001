"""What a campaign brought back, measured against its control group.

* ``target``: customers in the segment when it was sent (one outbox row each);
* ``excluded``: left out, by reason (opted out, frequency cap, ...), the control group apart;
* ``control``: held out on purpose, not messaged;
* ``sent``: accepted by the gateway; ``delivered`` / ``failed``: what receipts and refusals
  said; ``billed_parts`` and ``cost`` (parts x the channel's ``price_per_part``);
* ``buyers``: recipients with a paid order (refunded and closed ones do not count) within
  ``attribution_days`` (default 7) after their message was sent; ``orders`` and ``sales``
  (paid less refunded) are those orders; ``aov`` = sales / orders;
* ``response_rate`` = buyers among the delivered recipients / delivered (buyers / sent while no
  receipt has come back), so it never counts a buyer whose receipt is still on its way against
  a smaller base;
  ``conversion_rate`` = buyers / sent; ``roi`` = sales / cost;
* against the control group (its buyers counted over the same window from the campaign's start):
  ``control_buyer_rate``, ``lift`` = (buyer rate - control buyer rate) / control buyer rate, and
  ``incremental_sales`` = sales - control sales per member x sent.

Rates are fractions (0.125 is 12.5 %); a rate without a base is ``None``.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from shopcrm.config import Config
from shopcrm.models import Campaign, Message, Order
from shopcrm.sending_policy import load as load_policy
from shopcrm.sources import PAID_STATUSES
from shopcrm.template_preview import price_per_part

_PAID = [status.value for status in PAID_STATUSES]
ACCEPTED = or_(Message.status.in_(("sent", "delivered")),
               and_(Message.status == "failed", Message.gateway_id.is_not(None)))


def _rate(part: float | int | Decimal, whole: float | int | Decimal) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


def _money(value: Any) -> Decimal:
    """Yuan to the fen, halves rounded up as shops and gateways bill."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _window(attribution_days: int, start: Any) -> Any:
    return start + dt.timedelta(days=attribution_days)


def _attributed(session: Session, campaign: Campaign, days: int) -> Any:
    """Each sent message's orders paid within the window after it went out."""
    sent_at = func.coalesce(Message.sent_at, Message.created_at)
    if session.get_bind().dialect.name == "sqlite":  # julianday keeps the fractions of a second
        within = func.julianday(Order.paid_at) < func.julianday(sent_at) + days
    else:
        within = Order.paid_at < sent_at + literal(dt.timedelta(days=days))
    return (select(Message.customer_id.label("customer_id"), Order.id.label("order_id"),
                   (Order.paid_amount - Order.refund_amount).label("amount"), Order.paid_at.label("paid_at"),
                   sent_at.label("sent_at"), (Message.status == "delivered").label("delivered"))
            .join(Order, and_(Order.customer_id == Message.customer_id, Order.status.in_(_PAID),
                              Order.paid_at >= sent_at, within))
            .where(Message.campaign_id == campaign.id, ACCEPTED)
            .subquery())


def report(session: Session, config: Config, campaign: Campaign) -> dict[str, Any]:
    """The campaign's figures (see the module's docstring)."""
    days = load_policy(session, campaign.shop_id).attribution_days
    counts = dict(session.execute(select(Message.status, func.count()).where(Message.campaign_id == campaign.id)
                                  .group_by(Message.status)).all())
    reasons = dict(session.execute(select(Message.skip_reason, func.count())
                                   .where(Message.campaign_id == campaign.id, Message.status == "skipped")
                                   .group_by(Message.skip_reason)).all())
    sent, parts = session.execute(select(func.count(), func.coalesce(func.sum(Message.parts), 0))
                                  .where(Message.campaign_id == campaign.id, ACCEPTED)).one()
    target = sum(counts.values())
    control = int(reasons.pop("control_group", 0))
    delivered, failed = int(counts.get("delivered", 0)), int(counts.get("failed", 0))
    # The price the campaign editor estimated with: the channel's own, or the default when its
    # plugin was removed since (or its secrets cannot be read: the price is not one).
    cost = _money(price_per_part(session, config, campaign.channel, campaign.shop_id) * int(parts))

    bought = _attributed(session, campaign, days)
    buyers, orders, sales, delivered_buyers = session.execute(select(
        func.count(func.distinct(bought.c.customer_id)), func.count(func.distinct(bought.c.order_id)),
        func.coalesce(func.sum(bought.c.amount), 0),
        func.count(func.distinct(case((bought.c.delivered, bought.c.customer_id)))))).one()
    sales = _money(sales)
    control_buyers, control_sales = _control(session, campaign, days)
    buyer_rate = _rate(buyers, sent)
    control_rate = _rate(control_buyers, control)
    lift = (round((buyer_rate - control_rate) / control_rate, 4)
            if buyer_rate is not None and control_rate else None)
    incremental = (_money(sales - (control_sales / control) * sent) if control else None)
    return {
        "id": campaign.id, "name": campaign.name, "status": campaign.status, "channel": campaign.channel,
        "attribution_days": days,
        "target": target, "excluded": {str(k): int(v) for k, v in sorted(reasons.items(), key=lambda kv: str(kv[0]))},
        "control": control, "sent": int(sent), "delivered": delivered, "failed": failed,
        "pending": int(counts.get("pending", 0)) + int(counts.get("sending", 0)),
        "billed_parts": int(parts), "cost": float(cost), "buyers": int(buyers),
        "response_rate": _rate(delivered_buyers, delivered) if delivered else _rate(buyers, sent), "orders": int(orders), "sales": float(sales),
        "aov": float(_money(sales / orders)) if orders else None, "conversion_rate": buyer_rate,
        "roi": round(float(sales / cost), 2) if cost else None,
        "control_buyer_rate": control_rate, "lift": lift,
        "incremental_sales": float(incremental) if incremental is not None else None,
    }


def _control(session: Session, campaign: Campaign, days: int) -> tuple[int, Decimal]:
    """Buyers and sales of the control group over the window from the campaign's start."""
    if campaign.started_at is None:
        return 0, Decimal(0)
    start, end = campaign.started_at, _window(days, campaign.started_at)
    held = (select(Message.customer_id).where(Message.campaign_id == campaign.id, Message.status == "skipped",
                                              Message.skip_reason == "control_group").subquery())
    buyers, sales = session.execute(
        select(func.count(func.distinct(Order.customer_id)),
               func.coalesce(func.sum(Order.paid_amount - Order.refund_amount), 0))
        .where(Order.customer_id.in_(select(held.c.customer_id)), Order.status.in_(_PAID),
               Order.paid_at >= start, Order.paid_at < end)).one()
    return int(buyers), _money(sales)


def by_day(session: Session, campaign: Campaign) -> list[dict[str, Any]]:
    """Buyers and sales by day after the send (day 0 is the day each message went out)."""
    days = load_policy(session, campaign.shop_id).attribution_days
    bought = _attributed(session, campaign, days)
    if session.get_bind().dialect.name == "sqlite":
        day = func.floor(func.julianday(bought.c.paid_at) - func.julianday(bought.c.sent_at))
    else:
        day = func.floor(func.extract("epoch", bought.c.paid_at - bought.c.sent_at) / 86400)
    rows = dict((int(d), (int(b), _money(s))) for d, b, s in session.execute(
        select(day.label("day"), func.count(func.distinct(bought.c.customer_id)),
               func.coalesce(func.sum(bought.c.amount), 0)).group_by(day)))
    return [{"day": d, "buyers": rows.get(d, (0, 0))[0], "sales": float(rows.get(d, (0, Decimal(0)))[1])}
            for d in range(days)]


def recipients_csv_rows(session: Session, campaign: Campaign) -> Any:
    """The campaign's outbox rows for a CSV export: status, reason, parts and times."""
    return session.execute(select(Message.customer_id, Message.to, Message.status, Message.skip_reason,
                                  Message.parts, Message.sent_at, Message.delivered_at, Message.error_code)
                           .where(Message.campaign_id == campaign.id).order_by(Message.id)
                           .execution_options(yield_per=5000))


__all__ = ["by_day", "recipients_csv_rows", "report"]
