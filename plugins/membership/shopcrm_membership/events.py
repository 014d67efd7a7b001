"""Order events: points and tier upgrades as orders are paid, points taken back on refunds.

Each event touches one order and one customer, with the same set-based statements the review
job runs for a whole shop, so a replayed or re-imported event changes nothing. An order event
never lowers a tier: that is the review's business, and only when the shop wants it.

Only fresh events are handled one by one: an event that happened more than :data:`FRESH` ago
is history (a year of orders imported at once) and is settled by the tier run the core makes
for the customers an import touched, in a few statements for the whole import, instead of a
transaction per order.
"""
from __future__ import annotations

import datetime as dt

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


def handle_order_event(event: OrderEvent, config: Config | None = None) -> None:
    """Earn points and raise the tier for a newly paid order; reverse points for a refund."""
    if not is_relevant(event):
        return
    with session_scope(config or active_config()) as session:
        rules = load_rules(session, event.shop_id)
        if event.status in PAID_STATUSES:
            points.earn_for_orders(session, event.shop_id, rules, order_ids=[event.order_id])
            TierSegmenter().compute(session, event.shop_id, {}, customer_ids=[event.customer_id],
                                    rules=rules)
        else:
            points.reverse_for_orders(session, event.shop_id, order_ids=[event.order_id])
