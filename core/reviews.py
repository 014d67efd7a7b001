"""Reviews: buyers' ratings of their orders, written in batches, and ``review.created`` for new ones.

A review belongs to an order the shop already has (found by its platform order id) and to that
order's customer. Reviews are keyed by (shop, platform review id); a source without review ids
gets one review per order (``order:<platform order id>``). Writing the same reviews again changes
nothing; a review whose rating or text changed (a buyer who amends a 差评) is updated.

A newly written review is handed to the automation engine as a
:class:`~shopcrm.triggers.ReviewEvent` once the batch is committed, so a fresh bad review can
alert the shopkeeper (the lifecycle plugin's ``bad_review`` trigger); imported history is
too old to fire anything (the engine's freshness rules).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Sequence

from sqlalchemy import Connection, insert, select

from shopcrm import bulk
from shopcrm.messages import Message, N_
from shopcrm.models import Order, Review
from shopcrm.sources import ReviewRecord, RowError
from shopcrm.sql import in_texts
from shopcrm.triggers import ReviewEvent

EVENT = "review.created"
CONTENT_LIMIT = 2000
"""Characters of a review's text that are kept."""

UNKNOWN_ORDER = N_("order %(order)s is not in ShopCRM: import the orders before their reviews")


@dataclass(slots=True)
class ReviewCounts:
    """What one batch did: reviews inserted, updated and unchanged, and the events to raise."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    events: list[ReviewEvent] = field(default_factory=list)


def write_reviews(conn: Connection, shop_id: int, records: Sequence[ReviewRecord], source: str,
                  on_error: Callable[[RowError], None], to_utc: Callable[[dt.datetime], dt.datetime]) -> ReviewCounts:
    """Upsert ``records`` (one per review key: the last wins) in the caller's transaction.

    A record whose order is unknown is reported to ``on_error`` and skipped. ``to_utc`` turns a
    record's time (shop-local when naive) into naive UTC."""
    counts = ReviewCounts()
    latest = {record.review_key: record for record in records}
    if not latest:
        return counts
    dialect = conn.dialect.name
    orders = {oid: (order_id, customer_id) for oid, order_id, customer_id in conn.execute(
        select(Order.platform_order_id, Order.id, Order.customer_id).where(
            Order.shop_id == shop_id,
            in_texts(Order.platform_order_id, {r.platform_order_id for r in latest.values()}, dialect)))}
    stored = {key: (review_id, rating, is_bad, content) for key, review_id, rating, is_bad, content in conn.execute(
        select(Review.platform_review_id, Review.id, Review.rating, Review.is_bad, Review.content).where(
            Review.shop_id == shop_id, in_texts(Review.platform_review_id, latest, dialect)))}
    new_rows: list[dict[str, object]] = []
    changed: list[tuple[int, int, bool, str]] = []
    for key, record in latest.items():
        order = orders.get(record.platform_order_id)
        if order is None:
            message = Message(UNKNOWN_ORDER, {"order": record.platform_order_id})
            on_error(RowError(record.row or 0, "order_id", str(message), record.platform_order_id, message=message))
            continue
        content = (record.content or "")[:CONTENT_LIMIT]
        known = stored.get(key)
        if known is None:
            new_rows.append({"shop_id": shop_id, "customer_id": order[1], "order_id": order[0],
                             "platform_review_id": key[:64], "rating": record.rating, "is_bad": record.bad,
                             "content": content, "created_at": to_utc(record.created_at)})
        elif known[1:] != (record.rating, record.bad, content):
            changed.append((known[0], record.rating, record.bad, content))
        else:
            counts.unchanged += 1
    if new_rows:
        inserted = conn.execute(insert(Review).returning(Review.id, Review.customer_id, Review.order_id,
                                                         Review.created_at, sort_by_parameter_order=True),
                                new_rows).all()
        counts.inserted = len(inserted)
        counts.events = [ReviewEvent(kind=EVENT, shop_id=shop_id, review_id=review_id, customer_id=customer_id,
                                     order_id=order_id, occurred_at=created_at, source=source)
                         for review_id, customer_id, order_id, created_at in inserted]
    if changed:
        bulk.update_by_key(conn, Review.__table__, ("id", "rating", "is_bad", "content"), changed)
        counts.updated = len(changed)
    return counts
