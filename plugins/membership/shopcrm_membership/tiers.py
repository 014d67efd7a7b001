"""Tiers: every customer's membership tier as the label ``tier``, computed set-based.

A customer's *measure* is the amount paid (paid less refunded) or the number of paid orders
(statuses the shop keeps the money of) with a payment time in the last ``window_days``; the
tier is the highest whose threshold the measure reaches. A customer without a paid order in the
window is in the first tier.

Tiers only go up unless asked otherwise: :meth:`TierSegmenter.compute` keeps a customer's
current tier when the new measure is lower, except with ``downgrade=True``, which the review job
passes when the shop has switched downgrades on.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Iterable, Mapping

from sqlalchemy import DateTime, Integer, Numeric, String, and_, bindparam, case, cast, func, literal, select
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Customer, CustomerLabel, Order
from shopcrm.rollups import counted_at
from shopcrm.segments import LabelInfo, Segmenter
from shopcrm.sources import PAID_STATUSES
from shopcrm.sql import json_numbers
from shopcrm_membership.rules import DEFAULT_TIERS, Rules, load_rules
from shopcrm_membership.sql import IDS, ids_value, in_ids_param, shop_is, upsert_from_select

NAME = "tier"
_PAID = sorted(status.value for status in PAID_STATUSES)


def window_measures(dialect: str, scoped: bool) -> Any:
    """Per customer with a paid order since ``:since``: amount paid (less refunds) and orders."""
    query = (
        select(
            Order.customer_id.label("customer_id"),
            func.round(func.sum(Order.paid_amount - Order.refund_amount), 2).label("paid"),
            func.count().label("orders"),
        )
        .where(shop_is(Order.shop_id, scoped), Order.status.in_(_PAID),
               counted_at() >= bindparam("since", type_=DateTime()))
        .group_by(Order.customer_id)
    )
    if scoped:
        query = query.where(in_ids_param(Order.customer_id, dialect))
    return query.subquery("measures")


@lru_cache(maxsize=None)
def _statements(dialect: str, tiers: int, basis: str, downgrade: bool, scoped: bool) -> tuple[Any, Any]:
    """The labelling ``INSERT … SELECT … ON CONFLICT`` and the count that follows it, for one
    shape of rules; thresholds (``t1`` …) and names (``name0`` …) are parameters."""
    names = [bindparam(f"name{i}", type_=String) for i in range(tiers)]
    thresholds = [bindparam(f"t{i}", type_=Numeric(14, 2)) for i in range(tiers)]
    measures = window_measures(dialect, scoped)
    paid = func.coalesce(measures.c.paid, 0)
    orders = func.coalesce(measures.c.orders, 0)
    measure = paid if basis == "amount" else orders
    whens = [(measure >= thresholds[i], i) for i in reversed(range(1, tiers))]
    computed = case(*whens, else_=0) if whens else literal(0)
    current = CustomerLabel.__table__.alias("current")
    known = case(*[(current.c.value == names[i], i) for i in range(tiers)], else_=-1)
    rank = computed if downgrade else case((known > computed, known), else_=computed)
    value = case(*[(rank == i, names[i]) for i in range(1, tiers)], else_=names[0]) if tiers > 1 else names[0]
    rows = (
        select(Customer.shop_id, Customer.id, literal(NAME), value,
               json_numbers(dialect, paid=paid, orders=orders, rank=cast(rank, Integer)),
               bindparam("now", type_=DateTime()))
        .select_from(Customer)
        .outerjoin(measures, measures.c.customer_id == Customer.id)
        .outerjoin(current, and_(current.c.customer_id == Customer.id, current.c.segmenter == NAME))
        .where(shop_is(Customer.shop_id, scoped))
    )
    counted = select(func.count()).select_from(CustomerLabel).where(
        shop_is(CustomerLabel.shop_id, scoped), CustomerLabel.segmenter == NAME)
    if scoped:
        rows = rows.where(in_ids_param(Customer.id, dialect))
        counted = counted.where(in_ids_param(CustomerLabel.customer_id, dialect))
    upsert = upsert_from_select(
        dialect, CustomerLabel.__table__,
        ["shop_id", "customer_id", "segmenter", "value", "scores", "computed_at"], rows,
        conflict=["customer_id", "segmenter"], update=["value", "scores", "computed_at"],
    )
    return upsert, counted


class TierSegmenter(Segmenter):
    """The label ``tier``: 普通会员, 铜牌会员, 银牌会员, 金牌会员, 钻石会员 by default."""

    name = NAME
    label = "Membership tier"

    def labels(self) -> Iterable[LabelInfo]:
        return [LabelInfo(name, f"Paid at least ¥{threshold} in the last 365 days (default rules)")
                for name, threshold in DEFAULT_TIERS]

    def compute(self, session: Session, shop_id: int, config: Mapping[str, Any],
                customer_ids: Iterable[int] | None = None, now: dt.datetime | None = None,
                downgrade: bool = False, rules: Rules | None = None, settle: bool = True) -> int:
        """Label the shop's customers (or ``customer_ids``) with their tier; ``config``
        overrides the shop's saved rules (or ``rules`` replaces them, already loaded).
        ``settle=False`` leaves their points as they are (the caller has just settled the
        orders that changed). Returns how many customers were labelled."""
        rules = rules or load_rules(session, shop_id, config)
        dialect = session.get_bind().dialect.name
        now = now or utcnow()
        if settle:
            settle_points(session, shop_id, rules, customer_ids, now)
        params: dict[str, Any] = {"shop_id": shop_id, "now": now,
                                  "since": now - dt.timedelta(days=rules.window_days)}
        for index, tier in enumerate(rules.tiers):
            params[f"name{index}"] = tier.name
            params[f"t{index}"] = tier.threshold
        if customer_ids is not None:
            params[IDS] = ids_value(customer_ids, dialect)
        upsert, counted = _statements(dialect, len(rules.tiers), rules.basis, downgrade,
                                      customer_ids is not None)
        session.execute(upsert, params)
        return int(session.scalar(counted, params) or 0)


def settle_points(session: Session, shop_id: int, rules: Rules, customer_ids: Iterable[int] | None,
                  now: dt.datetime) -> None:
    """Earn and take back the points of the orders of ``customer_ids`` (or of the whole shop).

    Tiers and points both follow the paid orders, so a tier run settles points first: the run
    the core makes after each import (for the customers it touched) and every day (for all)
    keeps the ledger current for orders whose events were history (see
    :mod:`shopcrm_membership.events`). Once per order, like the events themselves."""
    from shopcrm.sql import in_ids

    from shopcrm_membership import points

    order_ids = None
    if customer_ids is not None:
        dialect = session.get_bind().dialect.name
        order_ids = list(session.scalars(select(Order.id).where(
            Order.shop_id == shop_id, in_ids(Order.customer_id, list(customer_ids), dialect))))
        if not order_ids:
            return
    points.earn_for_orders(session, shop_id, rules, order_ids=order_ids, now=now)
    points.reverse_for_orders(session, shop_id, order_ids=order_ids, now=now)


def tier_of(session: Session, customer_id: int) -> str | None:
    """The customer's current tier, or ``None`` before tiers were first computed for them."""
    return session.scalar(select(CustomerLabel.value).where(
        CustomerLabel.customer_id == customer_id, CustomerLabel.segmenter == NAME))
