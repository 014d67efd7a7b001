"""Order events: points and tier upgrades as orders are paid, points taken back on refunds.

Events touch their orders and customers with the same set-based statements the review job
runs for a whole shop, so a replayed or re-imported event changes nothing; an ingested batch's
events are handled together, in one transaction (:mod:`shopcrm.event_batch`). An order event
never lowers a tier: that is the review's business, and only when the shop wants it.

Only fresh events are handled: an event that happened more than :data:`FRESH` ago is history
(a year of orders imported at once) and is settled by the tier run the core makes for the
customers an import touched, in a few statements for the whole import, instead of a
transaction per order.
"""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from shopcrm.config import Config, active_config
from shopcrm.db import session_scope, utcnow
from shopcrm.sources import PAID_STATUSES, OrderEvent
from shopcrm_membership import points
from shopcrm_membership.rules import load_rules
from shopcrm_membership.tiers import TierSegmenter


FRESH = dt.timedelta(hours=24)
"""Events older than this are left to the tier run after the import (see above)."""


def is_relevant(event: OrderEvent, now: dt.datetime | None = None) -> bool:
    """Whether the event is fresh and can change points or a tier: an order newly paid, or one
    that was paid and now is refunded or closed."""
    if event.occurred_at < (now or utcnow()) - FRESH:
        return False
    paid_now = event.status in PAID_STATUSES
    paid_before = event.previous_status in PAID_STATUSES
    if paid_now:
        return not paid_before
    return event.status.value in points.TAKEN_BACK and paid_before


def handle_order_events(events: Sequence[OrderEvent], config: Config | None = None) -> None:
    """Earn points and raise the tier for newly paid orders, take points back for refunded or
    closed ones: the fresh ones of ``events`` (one, or an ingested batch's), in one transaction
    per shop."""
    by_shop: dict[int, list[OrderEvent]] = {}
    now = utcnow()
    for event in events:
        if is_relevant(event, now):
            by_shop.setdefault(event.shop_id, []).append(event)
    for shop_id, relevant in by_shop.items():
        paid = [event for event in relevant if event.status in PAID_STATUSES]
        taken_back = [event.order_id for event in relevant if event.status not in PAID_STATUSES]
        with session_scope(config or active_config()) as session:
            if paid:  # points for these orders; the tier run settles no others (its own runs do)
                rules = load_rules(session, shop_id)
                points.earn_for_orders(session, shop_id, rules, order_ids=[event.order_id for event in paid])
                TierSegmenter().compute(session, shop_id, {}, customer_ids=list({e.customer_id for e in paid}),
                                        rules=rules, settle=False)
            if taken_back:
                points.reverse_for_orders(session, shop_id, order_ids=taken_back)
