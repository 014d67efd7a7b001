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
from typing import Any, Iterable, Mapping

from sqlalchemy import Integer, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Customer, CustomerLabel, Order
from shopcrm.segments import LabelInfo, Segmenter
from shopcrm.sources import PAID_STATUSES
from shopcrm.sql import in_ids, json_object
from shopcrm_membership.rules import DEFAULT_TIERS, Rules, load_rules
from shopcrm_membership.upsert import upsert_from_select

NAME = "tier"
_PAID = sorted(status.value for status in PAID_STATUSES)


def window_measures(shop_id: int, since: dt.datetime, customer_ids: list[int] | None,
                    dialect: str) -> Any:
    """Per customer with a paid order since ``since``: amount paid (less refunds) and orders."""
    query = (
        select(
            Order.customer_id.label("customer_id"),
            func.round(func.sum(Order.paid_amount - Order.refund_amount), 2).label("paid"),
            func.count().label("orders"),
        )
        .where(Order.shop_id == shop_id, Order.status.in_(_PAID),
               func.coalesce(Order.paid_at, Order.created_at) >= since)
        .group_by(Order.customer_id)
    )
    if customer_ids is not None:
        query = query.where(in_ids(Order.customer_id, customer_ids, dialect))
    return query.subquery("measures")


def rank_of(measure: Any, rules: Rules) -> Any:
    """SQL: the index of the highest tier whose threshold ``measure`` reaches."""
    whens = [(measure >= tier.threshold, index)
             for index, tier in reversed(list(enumerate(rules.tiers))) if index > 0]
    return case(*whens, else_=0) if whens else literal(0)


class TierSegmenter(Segmenter):
    """The label ``tier``: 普通会员, 铜牌会员, 银牌会员, 金牌会员, 钻石会员 by default."""

    name = NAME
    label = "Membership tier"

    def labels(self) -> Iterable[LabelInfo]:
        return [LabelInfo(name, f"Paid at least ¥{threshold} in the last 365 days (default rules)")
                for name, threshold in DEFAULT_TIERS]

    def compute(self, session: Session, shop_id: int, config: Mapping[str, Any],
                customer_ids: Iterable[int] | None = None, now: dt.datetime | None = None,
                downgrade: bool = False) -> int:
        """Label the shop's customers (or ``customer_ids``) with their tier; ``config``
        overrides the shop's saved rules. Returns how many customers were labelled."""
        rules = load_rules(session, shop_id, config)
        now = now or utcnow()
        dialect = session.get_bind().dialect.name
        ids = None if customer_ids is None else sorted({int(i) for i in customer_ids})
        measures = window_measures(shop_id, now - dt.timedelta(days=rules.window_days), ids, dialect)
        paid = func.coalesce(measures.c.paid, 0)
        orders = func.coalesce(measures.c.orders, 0)
        computed = rank_of(paid if rules.basis == "amount" else orders, rules)
        current = CustomerLabel.__table__.alias("current")
        known = case(*[(current.c.value == tier.name, index) for index, tier in enumerate(rules.tiers)],
                     else_=-1)
        rank = computed if downgrade else case((known > computed, known), else_=computed)
        value = case(*[(rank == index, tier.name) for index, tier in enumerate(rules.tiers)],
                     else_=rules.tiers[0].name)
        rows = (
            select(literal(shop_id), Customer.id, literal(NAME), value,
                   json_object(dialect, paid=paid, orders=orders, rank=cast(rank, Integer)),
                   literal(now))
            .select_from(Customer)
            .outerjoin(measures, measures.c.customer_id == Customer.id)
            .outerjoin(current, and_(current.c.customer_id == Customer.id, current.c.segmenter == NAME))
            .where(Customer.shop_id == shop_id)
        )
        if ids is not None:
            rows = rows.where(in_ids(Customer.id, ids, dialect))
        upsert_from_select(
            session, CustomerLabel.__table__,
            ["shop_id", "customer_id", "segmenter", "value", "scores", "computed_at"], rows,
            conflict=["customer_id", "segmenter"], update=["value", "scores", "computed_at"],
        )
        counted = select(func.count()).select_from(CustomerLabel).where(
            CustomerLabel.shop_id == shop_id, CustomerLabel.segmenter == NAME)
        if ids is not None:
            counted = counted.where(in_ids(CustomerLabel.customer_id, ids, dialect))
        return int(session.scalar(counted) or 0)


def tier_of(session: Session, customer_id: int) -> str | None:
    """The customer's current tier, or ``None`` before tiers were first computed for them."""
    return session.scalar(select(CustomerLabel.value).where(
        CustomerLabel.customer_id == customer_id, CustomerLabel.segmenter == NAME))
