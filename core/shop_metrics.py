"""The shop's sales and customer figures for a period, counted in SQL.

What counts (the same as the customer rollups, :mod:`shopcrm.rollups`, and RFM):

* a **paid order** is one whose money the shop kept (paid, shipped, signed, completed; closed and
  refunded orders do not count), dated by its payment time (its creation time when the source
  gave none);
* **sales** are what those orders brought, paid less refunded;
* **customers** are those with a paid order before the period's end (the customer base then);
  **new customers** those whose first paid order falls in the period; **paying customers** those
  with a paid order in the period;
* the **repurchase rate** is the paying customers with two or more paid orders in the period,
  over the paying customers;
* the **average order value** is sales over paid orders;
* the **returning sales share** is the sales from customers whose first paid order was before
  the period, over the sales.

Each figure family is one aggregate query, whatever the shop's size: paid orders are read
through the ``(shop_id, paid_at)`` index (those without a payment time through
``(shop_id, created_at)``), customers through ``(shop_id, first_order_at)``, labels through
``(shop_id, segmenter, value)``. Nothing is loaded row by row into Python.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Sequence

from sqlalchemy import DateTime, Integer, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from shopcrm.models import Customer, CustomerLabel, Order
from shopcrm.report_period import Window
from shopcrm.sources import PAID_STATUSES

_PAID = [status.value for status in PAID_STATUSES]
_CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    """Yuan to the fen (SQLite sums amounts as floating point)."""
    return Decimal(str(value or 0)).quantize(_CENT, rounding=ROUND_HALF_UP)


def rate(part: Decimal | int, whole: Decimal | int) -> float | None:
    """``part / whole`` as a fraction rounded to 4 places; ``None`` without a base."""
    return round(float(part) / float(whole), 4) if whole else None


@dataclass(slots=True, frozen=True)
class Summary:
    """The figures of one period (see the module's docstring)."""

    customers: int = 0
    new_customers: int = 0
    paying_customers: int = 0
    repeat_customers: int = 0
    """Paying customers with two or more paid orders in the period."""
    orders: int = 0
    sales: Decimal = Decimal("0.00")
    returning_sales: Decimal = Decimal("0.00")

    @property
    def repurchase_rate(self) -> float | None:
        return rate(self.repeat_customers, self.paying_customers)

    @property
    def aov(self) -> Decimal | None:
        return money(self.sales / self.orders) if self.orders else None

    @property
    def returning_share(self) -> float | None:
        return rate(self.returning_sales, self.sales)


@dataclass(slots=True, frozen=True)
class DayFigures:
    """One day's paid orders, sales and paying customers, these split into new (their first paid
    order is that day) and returning."""

    day: dt.date
    orders: int = 0
    sales: Decimal = Decimal("0.00")
    paying_customers: int = 0
    new_customers: int = 0
    returning_customers: int = 0


@dataclass(slots=True, frozen=True)
class ProvinceFigures:
    province: str | None
    """``None`` for customers whose province is unknown."""
    paying_customers: int
    sales: Decimal


def paid_orders(shop_id: int, start: dt.datetime, end: dt.datetime) -> Any:
    """The shop's paid orders dated in ``[start, end)`` as a subquery ``paid`` of
    ``customer_id``, ``at`` (payment time, else creation time) and ``amount`` (paid less refunded).

    Two index ranges joined: by payment time, and by creation time for orders without one.
    """
    amount = (Order.paid_amount - Order.refund_amount).label("amount")
    by_payment = select(Order.customer_id.label("customer_id"), Order.paid_at.label("at"), amount).where(
        Order.shop_id == shop_id, Order.paid_at >= start, Order.paid_at < end, Order.status.in_(_PAID))
    by_creation = select(Order.customer_id.label("customer_id"), Order.created_at.label("at"), amount).where(
        Order.shop_id == shop_id, Order.created_at >= start, Order.created_at < end, Order.paid_at.is_(None),
        Order.status.in_(_PAID))
    return union_all(by_payment, by_creation).subquery("paid")


def summaries(session: Session, shop_id: int, windows: Sequence[Window]) -> list[Summary]:
    """The figures of each of ``windows`` (a period and the one before it, say): two queries,
    one over the customers and one over the paid orders, whatever the number of windows."""
    if not windows:
        return []
    customers = _customer_counts(session, shop_id, windows)
    orders = _order_figures(session, shop_id, windows)
    return [Summary(customers=c, new_customers=n, **o) for (c, n), o in zip(customers, orders)]


def _customer_counts(session: Session, shop_id: int, windows: Sequence[Window]) -> list[tuple[int, int]]:
    first = Customer.first_order_at
    columns = []
    for window in windows:
        columns.append(func.count().filter(first < window.end))
        columns.append(func.count().filter(and_(first >= window.start, first < window.end)))
    row = session.execute(select(*columns).where(
        Customer.shop_id == shop_id, first < max(w.end for w in windows))).one()
    return [(int(row[2 * i]), int(row[2 * i + 1])) for i in range(len(windows))]


def _order_figures(session: Session, shop_id: int, windows: Sequence[Window]) -> list[dict[str, Any]]:
    paid = paid_orders(shop_id, min(w.start for w in windows), max(w.end for w in windows))
    per_customer_columns: list[Any] = [paid.c.customer_id.label("customer_id")]
    for i, window in enumerate(windows):
        inside = and_(paid.c.at >= window.start, paid.c.at < window.end)
        per_customer_columns.append(func.count().filter(inside).label(f"orders_{i}"))
        per_customer_columns.append(func.coalesce(func.sum(case((inside, paid.c.amount), else_=0)), 0)
                                    .label(f"sales_{i}"))
    per_customer = select(*per_customer_columns).group_by(paid.c.customer_id).subquery("per_customer")
    columns: list[Any] = []
    for i, window in enumerate(windows):
        orders, sales = per_customer.c[f"orders_{i}"], per_customer.c[f"sales_{i}"]
        columns += [
            func.coalesce(func.sum(orders), 0),
            func.coalesce(func.sum(sales), 0),
            func.count().filter(orders > 0),
            func.count().filter(orders > 1),
            func.coalesce(func.sum(case((Customer.first_order_at < window.start, sales), else_=0)), 0),
        ]
    row = session.execute(select(*columns).select_from(per_customer)
                          .join(Customer, Customer.id == per_customer.c.customer_id)).one()
    found = []
    for i in range(len(windows)):
        orders, sales, paying, repeat, returning = row[5 * i:5 * i + 5]
        found.append({"orders": int(orders), "sales": money(sales), "paying_customers": int(paying),
                      "repeat_customers": int(repeat), "returning_sales": money(returning)})
    return found


DAY = 86400
"""Seconds in a day of a time zone without a clock change."""

Bounds = Sequence[tuple[dt.date, dt.datetime, dt.datetime]]


def daily(session: Session, shop_id: int, bounds: Bounds) -> list[DayFigures]:
    """Each day of ``bounds`` (its date, start and end as naive UTC, as
    :meth:`shopcrm.report_period.Period.day_bounds` gives them; ends may be cut short, as for
    "the same hours" of earlier days) with its figures, in one query.

    When the days follow each other every 24 hours and are all as long (no clock change in the
    period, the last day alone may end early) an order's day is worked out from its time, and
    the orders are grouped by it. Otherwise the days are a small derived table joined to the
    orders by range, exact whatever the time zone does but slower on long periods.
    """
    if not bounds:
        return []
    if _regular(bounds):
        rows = _by_arithmetic(session, shop_id, bounds)
    else:
        rows = _by_range(session, shop_id, bounds)
    found = {int(n): (int(o), money(s), int(p), int(nw), int(r)) for n, o, s, p, nw, r in rows}
    return [DayFigures(day, *found[i]) if i in found else DayFigures(day)
            for i, (day, _start, _end) in enumerate(bounds)]


def _regular(bounds: Bounds) -> bool:
    first = bounds[0][1]
    length = bounds[0][2] - bounds[0][1]
    for index, (_day, start, end) in enumerate(bounds):
        if start != first + dt.timedelta(seconds=DAY * index):
            return False
        if end - start != length and index != len(bounds) - 1:
            return False
    return length <= dt.timedelta(seconds=DAY) and bounds[-1][2] - bounds[-1][1] <= length


def _seconds_since(session: Session, moment: Any, origin: dt.datetime) -> Any:
    """Whole seconds from ``origin`` to the stored naive UTC ``moment``, in SQL."""
    epoch = int((origin - dt.datetime(1970, 1, 1)).total_seconds())
    if session.get_bind().dialect.name == "sqlite":
        return func.cast(func.strftime("%s", moment), Integer) - epoch
    return func.floor(func.extract("epoch", moment)) - epoch


def _by_arithmetic(session: Session, shop_id: int, bounds: Bounds) -> Any:
    origin = bounds[0][1]
    length = int((bounds[0][2] - bounds[0][1]).total_seconds())
    paid = paid_orders(shop_id, origin, bounds[-1][2])
    since = _seconds_since(session, paid.c.at, origin)
    placed = (select(paid.c.customer_id.label("customer_id"), paid.c.amount.label("amount"),
                     func.floor(since / DAY).label("n"), since.label("since"),
                     _seconds_since(session, Customer.first_order_at, origin).label("first"))
              .join(Customer, Customer.id == paid.c.customer_id).subquery("placed"))
    new = placed.c.first >= placed.c.n * DAY
    query = (select(placed.c.n, func.count(), func.coalesce(func.sum(placed.c.amount), 0),
                    func.count(func.distinct(placed.c.customer_id)),
                    func.count(func.distinct(case((new, placed.c.customer_id)))),
                    func.count(func.distinct(case((~new, placed.c.customer_id)))))
             .group_by(placed.c.n))
    if length < DAY:  # the same hours of each day: leave out what came later in the day
        query = query.where(placed.c.since - placed.c.n * DAY < length)
    return session.execute(query)


def _by_range(session: Session, shop_id: int, bounds: Bounds) -> Any:
    days = union_all(*[
        select(literal(index, Integer).label("n"), literal(start, DateTime).label("start"),
               literal(end, DateTime).label("end"))
        for index, (_day, start, end) in enumerate(bounds)
    ]).subquery("days")
    paid = paid_orders(shop_id, min(b[1] for b in bounds), max(b[2] for b in bounds))
    new = Customer.first_order_at >= days.c.start
    return session.execute(
        select(days.c.n, func.count(), func.coalesce(func.sum(paid.c.amount), 0),
               func.count(func.distinct(paid.c.customer_id)),
               func.count(func.distinct(case((new, paid.c.customer_id)))),
               func.count(func.distinct(case((~new, paid.c.customer_id)))))
        .select_from(days)
        .join(paid, and_(paid.c.at >= days.c.start, paid.c.at < days.c.end))
        .join(Customer, Customer.id == paid.c.customer_id)
        .group_by(days.c.n))


def provinces(session: Session, shop_id: int, window: Window) -> list[ProvinceFigures]:
    """The paying customers of ``window`` and their sales by province, most customers first."""
    paid = paid_orders(shop_id, window.start, window.end)
    per_customer = (select(paid.c.customer_id.label("customer_id"), func.sum(paid.c.amount).label("sales"))
                    .group_by(paid.c.customer_id).subquery("per_customer"))
    province = func.nullif(Customer.province, "")
    rows = session.execute(
        select(province, func.count(), func.coalesce(func.sum(per_customer.c.sales), 0))
        .select_from(per_customer).join(Customer, Customer.id == per_customer.c.customer_id)
        .group_by(province))
    found = [ProvinceFigures(name, int(count), money(sales)) for name, count, sales in rows]
    found.sort(key=lambda p: (p.province is None, -p.paying_customers, -p.sales, p.province or ""))
    return found


def label_counts(session: Session, shop_id: int, segmenter: str) -> dict[str, int]:
    """How many of the shop's customers hold each label of ``segmenter`` (``rfm``,
    ``lifecycle`` ...), from the ``(shop_id, segmenter, value)`` index alone."""
    return {str(value): int(count) for value, count in session.execute(
        select(CustomerLabel.value, func.count())
        .where(CustomerLabel.shop_id == shop_id, CustomerLabel.segmenter == segmenter)
        .group_by(CustomerLabel.value))}


__all__ = ["DayFigures", "ProvinceFigures", "Summary", "daily", "label_counts", "money", "paid_orders",
           "provinces", "rate", "summaries"]
