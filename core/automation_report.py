"""What each automation of a shop sent and brought back over the last days.

For a period (the last ``days`` days before ``now``), by trigger, counting the automation's
messages the gateway accepted (``sent``, ``delivered``, or ``failed`` with a gateway id, as
:mod:`shopcrm.campaign_report` counts them) whose send time (``sent_at``, else ``created_at``)
falls in it:

* ``sent`` and ``delivered`` (a delivery receipt came back);
* for **payment reminders** (:func:`recovers_payment`: a trigger about orders waiting for
  payment, such as the lifecycle plugin's unpaid reminders): ``reminded``, the orders reminded;
  ``recovered``, those of them paid after their first reminder and kept (paid, shipped, signed or
  completed, not closed or refunded); ``recovered_amount``, what they brought (paid less
  refunded); ``recovery_rate`` = recovered / reminded;
* for the **others**: ``buyers``, the customers messaged who paid for an order within the shop's
  ``attribution_days`` (sending rules, default 7) after one of the messages, and ``sales``, what
  those orders brought, each order counted once however many messages it follows.

Everything is computed in SQL, one grouped query per figure family, whatever the number of
messages. Rates are fractions (0.125 is 12.5 %); a rate without a base is ``None``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Collection, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from shopcrm.campaign_report import ACCEPTED
from shopcrm.db import utcnow
from shopcrm.models import Automation, Message, Order
from shopcrm.sending_policy import load as load_policy
from shopcrm.sources import PAID_STATUSES, OrderStatus
from shopcrm.triggers import Trigger

PERIODS = (7, 30)
"""The periods the automations page shows, in days."""
_PAID = [status.value for status in PAID_STATUSES]
_CENT = Decimal("0.01")


@dataclass(slots=True, frozen=True)
class AutomationFigures:
    """One automation's figures over one period (see the module's docstring)."""

    sent: int = 0
    delivered: int = 0
    recovery: bool = False
    """Whether the figures that matter are the recovery ones (a payment reminder)."""
    reminded: int = 0
    recovered: int = 0
    recovered_amount: Decimal = Decimal("0.00")
    buyers: int = 0
    sales: Decimal = Decimal("0.00")

    @property
    def delivery_rate(self) -> float | None:
        return _rate(self.delivered, self.sent)

    @property
    def recovery_rate(self) -> float | None:
        return _rate(self.recovered, self.reminded)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "delivered": self.delivered, "recovery": self.recovery,
                "reminded": self.reminded, "recovered": self.recovered,
                "recovered_amount": float(self.recovered_amount), "recovery_rate": self.recovery_rate,
                "buyers": self.buyers, "sales": float(self.sales)}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(_CENT)


def recovers_payment(trigger: Trigger) -> bool:
    """Whether ``trigger`` reminds buyers of orders waiting for payment: it says so
    (``recovers_payment = True``), or it follows orders in ``pending_payment`` (the lifecycle
    plugin's order triggers carry the status they are about as ``status``)."""
    explicit = getattr(trigger, "recovers_payment", None)
    if explicit is not None:
        return bool(explicit)
    return getattr(trigger, "status", None) == OrderStatus.PENDING_PAYMENT


def _sent_time() -> Any:
    return func.coalesce(Message.sent_at, Message.created_at)


def _accepted(shop_id: int, since: dt.datetime, until: dt.datetime) -> Any:
    """The conditions of an automation message of the shop sent in the period."""
    sent = _sent_time()
    return and_(Automation.shop_id == shop_id, Message.automation_id == Automation.id, ACCEPTED,
                sent >= since, sent < until)


def _window_end(session: Session, start: Any, days: int) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.datetime(start, f"+{days} days")
    return start + literal(dt.timedelta(days=days))


def figures(session: Session, shop_id: int, triggers: Iterable[Trigger], days: int,
            now: dt.datetime | None = None) -> dict[str, AutomationFigures]:
    """Each of ``triggers`` (the registered ones, say) with the shop's figures for the last
    ``days`` days; a trigger that sent nothing has zeros."""
    now = now or utcnow()
    since = now - dt.timedelta(days=days)
    known = {trigger.name: trigger for trigger in triggers}
    recovery = {name for name, trigger in known.items() if recovers_payment(trigger)}
    counted = _counts(session, shop_id, since, now)
    recovered = _recovered(session, shop_id, recovery, since, now)
    attributed = _attributed(session, shop_id, set(known) - recovery, since, now)
    found = {}
    for name in known:
        sent, delivered = counted.get(name, (0, 0))
        reminded, paid, amount = recovered.get(name, (0, 0, Decimal(0)))
        buyers, sales = attributed.get(name, (0, Decimal(0)))
        found[name] = AutomationFigures(sent=sent, delivered=delivered, recovery=name in recovery,
                                        reminded=reminded, recovered=paid, recovered_amount=_money(amount),
                                        buyers=buyers, sales=_money(sales))
    return found


def _counts(session: Session, shop_id: int, since: dt.datetime, until: dt.datetime) -> dict[str, tuple[int, int]]:
    delivered = func.sum(case((Message.status == "delivered", 1), else_=0))
    rows = session.execute(select(Automation.trigger, func.count(), delivered)
                           .select_from(Message).join(Automation, Automation.id == Message.automation_id)
                           .where(_accepted(shop_id, since, until)).group_by(Automation.trigger))
    return {name: (int(sent), int(got or 0)) for name, sent, got in rows}


def _recovered(session: Session, shop_id: int, names: Collection[str], since: dt.datetime,
               until: dt.datetime) -> dict[str, tuple[int, int, Decimal]]:
    """Per payment reminder: orders reminded, those paid after their first reminder, their amount."""
    if not names:
        return {}
    reminders = (select(Automation.trigger.label("trigger"), Message.order_id.label("order_id"),
                        func.min(_sent_time()).label("first_sent"))
                 .select_from(Message).join(Automation, Automation.id == Message.automation_id)
                 .where(_accepted(shop_id, since, until), Automation.trigger.in_(list(names)),
                        Message.order_id.is_not(None))
                 .group_by(Automation.trigger, Message.order_id).subquery())
    paid = and_(Order.status.in_(_PAID), Order.paid_at.is_not(None), Order.paid_at >= reminders.c.first_sent)
    rows = session.execute(
        select(reminders.c.trigger, func.count(),
               func.sum(case((paid, 1), else_=0)),
               func.sum(case((paid, Order.paid_amount - Order.refund_amount), else_=0)))
        .select_from(reminders).join(Order, Order.id == reminders.c.order_id)
        .group_by(reminders.c.trigger))
    return {name: (int(reminded), int(count or 0), _money(amount)) for name, reminded, count, amount in rows}


def _attributed(session: Session, shop_id: int, names: Collection[str], since: dt.datetime,
                until: dt.datetime) -> dict[str, tuple[int, Decimal]]:
    """Per trigger: buyers and sales of the orders paid within the attribution window after a message."""
    if not names:
        return {}
    days = load_policy(session, shop_id).attribution_days
    sent = _sent_time()
    pairs = (select(Automation.trigger.label("trigger"), Order.id.label("order_id"),
                    Order.customer_id.label("customer_id"),
                    (Order.paid_amount - Order.refund_amount).label("amount"))
             .select_from(Message).join(Automation, Automation.id == Message.automation_id)
             .join(Order, and_(Order.customer_id == Message.customer_id, Order.status.in_(_PAID),
                               Order.paid_at >= sent, Order.paid_at < _window_end(session, sent, days)))
             .where(_accepted(shop_id, since, until), Automation.trigger.in_(list(names)))
             .distinct().subquery())
    rows = session.execute(select(pairs.c.trigger, func.count(func.distinct(pairs.c.customer_id)),
                                  func.sum(pairs.c.amount)).group_by(pairs.c.trigger))
    return {name: (int(buyers), _money(sales)) for name, buyers, sales in rows}


def sent_by_day(session: Session, shop_id: int, days: int, timezone: str,
                now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Messages of every automation sent and delivered per day (shop time), the last ``days``
    days ending today, oldest first; days without messages have zeros."""
    now = now or utcnow()
    zone = ZoneInfo(timezone)
    today = now.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.timezone.utc).replace(tzinfo=None)
    offset = zone.utcoffset(dt.datetime.combine(today, dt.time()))
    seconds = int(offset.total_seconds()) if offset is not None else 0
    sent = _sent_time()
    if session.get_bind().dialect.name == "sqlite":
        day: Any = func.date(sent, f"{seconds:+d} seconds")
    else:
        day = func.date(sent + literal(dt.timedelta(seconds=seconds)))
    rows = session.execute(select(day, func.count(), func.sum(case((Message.status == "delivered", 1), else_=0)))
                           .select_from(Message).join(Automation, Automation.id == Message.automation_id)
                           .where(_accepted(shop_id, start, now + dt.timedelta(seconds=1))).group_by(day))
    counts = {str(d): (int(n), int(got or 0)) for d, n, got in rows}
    found = []
    for index in range(days):
        date = first + dt.timedelta(days=index)
        sent_count, delivered = counts.get(date.isoformat(), (0, 0))
        found.append({"date": date, "sent": sent_count, "delivered": delivered})
    return found


__all__ = ["PERIODS", "AutomationFigures", "figures", "recovers_payment", "sent_by_day"]
