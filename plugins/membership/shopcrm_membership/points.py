"""Points: earned on paid orders, taken back on refunds, expired, adjusted and redeemed.

Everything is a row of the ledger (:class:`~shopcrm_membership.models.PointsEntry`); a balance
is the sum of a customer's rows. Earning and reversing are set-based (``INSERT … SELECT`` over
orders) and keyed by ``(order_id, kind)``, so they may run for one order as its event arrives
or for a whole shop in the review job, any number of times, with the same result.

Expiry counts an order's net points (its ``earn`` plus its ``reverse``) and positive
adjustments as *lots* that lapse at their ``expires_at``; debits (redemptions, negative
adjustments, earlier expiries) are taken from the oldest lots first. So at any moment the
points to expire are the lapsed lots less what has been spent or expired already, when that
is positive; the balance never goes below zero through expiry.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import (DateTime, Executable, Integer, String, and_, bindparam, case, cast, func, literal, null,
                        or_, select)
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Customer, Order, User
from shopcrm.rollups import counted_at
from shopcrm.sources import PAID_STATUSES, OrderStatus
from shopcrm_membership.models import ADJUST, EARN, EXPIRE, REDEEM, REVERSE, PointsEntry
from shopcrm_membership.rules import Rules
from shopcrm_membership.sql import IDS, ids_value, in_ids_param, shop_is, upsert_from_select

_PAID = sorted(status.value for status in PAID_STATUSES)
TAKEN_BACK = (OrderStatus.REFUNDED.value, OrderStatus.CLOSED.value)
"""Statuses of an order whose money went back to the buyer: its points are reversed."""
REASON_MAX = 200
_COLUMNS = ["shop_id", "customer_id", "kind", "points", "order_id", "expires_at", "created_at"]


class PointsError(ValueError):
    """A points change a user asked for that cannot be made (no reason, not enough points).

    ``message`` is translated when shown (``str()`` inside a request)."""

    def __init__(self, message: Any, field: str = "points") -> None:
        super().__init__(getattr(message, "_args", (message,))[0])
        self.message = message
        self.field = field
        """The form field at fault: ``points`` or ``reason``."""


@dataclass(frozen=True, slots=True)
class Change:
    """A manual points change: ``points`` to add (negative to take away), and why."""

    points: int
    reason: str


def _add_months(moment: Any, dialect: str) -> Any:
    """``moment`` plus the ``months`` parameter (``month_shift`` on SQLite: ``+12 months``)."""
    if dialect == "postgresql":
        return moment + func.make_interval(0, bindparam("months", type_=Integer))
    return func.datetime(moment, bindparam("month_shift", type_=String))


def _whole_points(amount: Any, dialect: str) -> Any:
    """Whole points for an amount in yuan at the ``rate`` parameter, rounded down."""
    rate = bindparam("rate", type_=Integer)
    if dialect == "postgresql":
        return cast(func.floor(amount * rate), Integer)
    # SQLite keeps amounts as floating point: round to the cent before truncating.
    return cast(func.round(amount * rate, 2), Integer)


def _months_params(rules: Rules, dialect: str) -> dict[str, Any]:
    if dialect == "postgresql":
        return {"months": rules.points_expiry_months}
    return {"month_shift": f"+{rules.points_expiry_months} months"}


@lru_cache(maxsize=None)
def _earn_statement(dialect: str, scoped: bool, expiring: bool) -> Executable:
    points = _whole_points(Order.paid_amount - Order.refund_amount, dialect)
    paid_at = counted_at()
    expires = _add_months(paid_at, dialect) if expiring else null()
    earned = select(PointsEntry.id).where(PointsEntry.order_id == Order.id, PointsEntry.kind == EARN)
    rows = select(Order.shop_id, Order.customer_id, literal(EARN), points, Order.id, expires,
                  bindparam("now", type_=DateTime())).where(
        shop_is(Order.shop_id, scoped), Order.status.in_(_PAID), points > 0, ~earned.exists())
    if scoped:
        rows = rows.where(in_ids_param(Order.id, dialect))
    return upsert_from_select(dialect, PointsEntry.__table__, _COLUMNS, rows, conflict=["order_id", "kind"])


def earn_for_orders(session: Session, shop_id: int, rules: Rules,
                    order_ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> None:
    """Write an ``earn`` row for every paid order (of ``order_ids``, or of the whole shop)
    that has none yet: ``points_per_yuan`` for each yuan paid (less refunded), rounded down,
    lapsing ``points_expiry_months`` after payment."""
    if rules.points_per_yuan == 0:
        return
    dialect = session.get_bind().dialect.name
    expiring = rules.points_expiry_months > 0
    params: dict[str, Any] = {"shop_id": shop_id, "rate": rules.points_per_yuan, "now": now or utcnow()}
    if expiring:
        params.update(_months_params(rules, dialect))
    if order_ids is not None:
        params[IDS] = ids_value(order_ids, dialect)
    session.execute(_earn_statement(dialect, order_ids is not None, expiring), params)


@lru_cache(maxsize=None)
def _reverse_statement(dialect: str, scoped: bool) -> Executable:
    earn = PointsEntry.__table__.alias("earn")
    ledger = PointsEntry.__table__.alias("ledger")
    balances = select(ledger.c.customer_id, func.sum(ledger.c.points).label("balance")).where(
        shop_is(ledger.c.shop_id, scoped))
    if scoped:  # only the customers of these orders
        balances = balances.where(ledger.c.customer_id.in_(
            select(Order.customer_id).where(in_ids_param(Order.id, dialect))))
    balances = balances.group_by(ledger.c.customer_id).subquery("balances")
    reversed_ = select(PointsEntry.id).where(PointsEntry.order_id == earn.c.order_id,
                                             PointsEntry.kind == REVERSE)
    before = func.sum(earn.c.points).over(partition_by=earn.c.customer_id,
                                          order_by=earn.c.order_id) - earn.c.points
    candidates = (
        select(earn.c.shop_id, earn.c.customer_id, earn.c.order_id, earn.c.points, earn.c.expires_at,
               (func.coalesce(balances.c.balance, 0) - before).label("available"))
        .join(Order, Order.id == earn.c.order_id)
        .outerjoin(balances, balances.c.customer_id == earn.c.customer_id)
        .where(shop_is(earn.c.shop_id, scoped), earn.c.kind == EARN, Order.status.in_(TAKEN_BACK),
               ~reversed_.exists())
    )
    if scoped:
        candidates = candidates.where(in_ids_param(earn.c.order_id, dialect))
    c = candidates.subquery("candidates")
    taken = case((c.c.available <= 0, 0), (c.c.available < c.c.points, c.c.available),
                 else_=c.c.points)
    rows = select(c.c.shop_id, c.c.customer_id, literal(REVERSE), -taken, c.c.order_id,
                  c.c.expires_at, bindparam("now", type_=DateTime())).where(c.c.order_id.is_not(None))
    return upsert_from_select(dialect, PointsEntry.__table__, _COLUMNS, rows, conflict=["order_id", "kind"])


def reverse_for_orders(session: Session, shop_id: int, order_ids: Iterable[int] | None = None,
                       now: dt.datetime | None = None) -> None:
    """Take back the points of every refunded or closed order that earned some, once.

    Only what the customer still has is taken back: points already spent or expired are not
    (so a balance never goes below zero through a refund). Several orders of one customer
    refunded at once share the balance in order-id order.
    """
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {"shop_id": shop_id, "now": now or utcnow()}
    if order_ids is not None:
        params[IDS] = ids_value(order_ids, dialect)
    session.execute(_reverse_statement(dialect, order_ids is not None), params)


def expire_points(session: Session, shop_id: int, now: dt.datetime | None = None) -> int:
    """Write an ``expire`` row for every customer of the shop with lapsed points not yet
    spent or expired (see the module's description); return how many rows were written."""
    now = now or utcnow()
    lapsed = and_(PointsEntry.expires_at.is_not(None), PointsEntry.expires_at <= now,
                  PointsEntry.kind.in_((EARN, REVERSE, ADJUST)))
    debit = or_(PointsEntry.kind.in_((REDEEM, EXPIRE)),
                and_(PointsEntry.kind == ADJUST, PointsEntry.points < 0))
    lots = (
        select(
            PointsEntry.customer_id.label("customer_id"),
            func.sum(case((lapsed, PointsEntry.points), else_=0)).label("lapsed"),
            func.sum(case((debit, -PointsEntry.points), else_=0)).label("spent"),
        )
        .where(PointsEntry.shop_id == shop_id)
        .group_by(PointsEntry.customer_id)
        .subquery("lots")
    )
    rows = select(literal(shop_id), lots.c.customer_id, literal(EXPIRE),
                  lots.c.spent - lots.c.lapsed, literal(now)).where(lots.c.lapsed > lots.c.spent)
    table = PointsEntry.__table__
    result = session.execute(
        table.insert().from_select(["shop_id", "customer_id", "kind", "points", "created_at"], rows)
        .execution_options(preserve_rowcount=True)
    )
    return max(int(result.rowcount or 0), 0)


def balance(session: Session, customer_id: int) -> int:
    """The customer's points: the sum of their ledger."""
    return int(session.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0))
                              .where(PointsEntry.customer_id == customer_id)) or 0)


def balances(session: Session, customer_ids: Iterable[int]) -> dict[int, int]:
    """Points of several customers (a page of a list), in one query."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    rows = session.execute(select(PointsEntry.customer_id, func.sum(PointsEntry.points))
                           .where(PointsEntry.customer_id.in_(ids)).group_by(PointsEntry.customer_id))
    return {customer_id: int(total or 0) for customer_id, total in rows}


def history(session: Session, customer_id: int, limit: int = 20) -> list[PointsEntry]:
    """The customer's latest ledger rows, newest first."""
    return list(session.scalars(select(PointsEntry).where(PointsEntry.customer_id == customer_id)
                                .order_by(PointsEntry.id.desc()).limit(limit)))


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PointsError(_l("Give a reason."), "reason")
    if len(reason) > REASON_MAX:
        raise PointsError(_l("The reason can have at most %(max)d characters.", max=REASON_MAX), "reason")
    return reason


def _locked_balance(session: Session, customer: Customer) -> int:
    # Lock the customer (PostgreSQL) so that two debits cannot both pass the check; on SQLite
    # the write transaction itself serialises them.
    session.execute(select(Customer.id).where(Customer.id == customer.id).with_for_update())
    return balance(session, customer.id)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` plus whole calendar months, on the last day of a shorter month if need be."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _write(session: Session, customer: Customer, kind: str, points: int, reason: str,
           user: User | None, rules: Rules, now: dt.datetime) -> PointsEntry:
    expires = None
    if points > 0 and rules.points_expiry_months:
        expires = add_months(now, rules.points_expiry_months)
    entry = PointsEntry(shop_id=customer.shop_id, customer_id=customer.id, kind=kind, points=points,
                        reason=reason, expires_at=expires, created_at=now,
                        created_by=user.id if user is not None else None,
                        created_by_name=user.username if user is not None else None)
    session.add(entry)
    session.flush()
    return entry


def adjust(session: Session, customer: Customer, change: Change, rules: Rules,
           user: User | None = None, now: dt.datetime | None = None) -> PointsEntry:
    """Add (or take away, with negative points) points by hand; a reason is required and the
    balance may not go below zero. Credits lapse like earned points."""
    reason = _check_reason(change.reason)
    if change.points == 0:
        raise PointsError(_l("The change is a whole number other than 0."))
    if change.points < 0 and (current := _locked_balance(session, customer)) + change.points < 0:
        raise PointsError(_l("Not enough points: the customer has %(balance)d.", balance=current))
    return _write(session, customer, ADJUST, change.points, reason, user, rules, now or utcnow())


def redeem(session: Session, customer: Customer, points: int, reason: str, rules: Rules,
           user: User | None = None, now: dt.datetime | None = None) -> PointsEntry:
    """Spend ``points`` (a positive number); refused when the customer has fewer."""
    reason = _check_reason(reason)
    if points <= 0:
        raise PointsError(_l("Redeem a whole number of points greater than 0."))
    if (current := _locked_balance(session, customer)) < points:
        raise PointsError(_l("Not enough points: the customer has %(balance)d.", balance=current))
    return _write(session, customer, REDEEM, -points, reason, user, rules, now or utcnow())
