"""Customer rollups, kept current whenever orders are written.

``first_order_at``, ``last_order_at``, ``order_count`` and ``total_paid`` count the orders
whose money the shop kept (:data:`shopcrm.sources.PAID_STATUSES`); ``total_paid`` is paid less
refunded. They are recomputed set-based (one aggregate ``UPDATE ... FROM`` per batch of
customers), never one Python loop iteration per customer.

Two ways keep them current:

* ORM writes: a session listener notes the customers of every order flushed and refreshes
  them just before the transaction commits;
* bulk writes (Core ``insert``/``update``, as ingestion does): the writer calls
  :func:`mark_dirty` with the customers it touched, or :func:`refresh` directly (ingestion
  passes a query of the touched customers in its staging table).
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import Connection, and_, case, event, func, or_, select, update
from sqlalchemy.sql.selectable import SelectBase
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from shopcrm.models import Customer, Order
from shopcrm.sources import PAID_STATUSES

DIRTY_KEY = "shopcrm.rollups.dirty"
BATCH = 5000
_PAID = [status.value for status in PAID_STATUSES]


CustomerIds = list[int] | SelectBase
"""Customers to refresh: their ids, or a query of them (a staging table's, say), which keeps
the statement the same whatever their number."""


def counted_at(orders: Any = None) -> Any:
    """When an order counts from (for ``first_order_at``, ``last_order_at`` and any window over
    paid orders): its payment, or its creation when no payment time is known. ``orders``: the
    columns of the ``order`` table (the default) or of anything shaped like it."""
    o = Order.__table__.c if orders is None else orders
    return func.coalesce(o.paid_at, o.created_at)


def aggregate(customer_ids: CustomerIds | None, shop_id: int | None, orders: Any = None) -> Any:
    """The rollups of these customers (or a shop's, or everyone's) as a subquery ``agg`` with
    ``customer_id`` and one column per rollup; customers without orders have no row.

    ``orders`` is what to read: the ``order`` table by default, or any table or subquery with
    its columns (ingestion passes its staged new orders, see :func:`add`).
    """
    source = Order.__table__ if orders is None else orders
    o = source.c
    counted = o.status.in_(_PAID)
    when = counted_at(o)
    query = select(
        o.customer_id.label("customer_id"),
        func.count().filter(counted).label("order_count"),
        # Rounded to the cent: SQLite sums amounts as floating point (174.70000000000002), and a
        # stored value must equal its two-decimal reading for comparisons and page cursors.
        func.round(func.coalesce(
            func.sum(case((counted, o.paid_amount - o.refund_amount), else_=0)), 0
        ), 2).label("total_paid"),
        func.min(case((counted, when))).label("first_order_at"),
        func.max(case((counted, when))).label("last_order_at"),
    ).group_by(o.customer_id)
    if customer_ids is not None:
        query = query.where(o.customer_id.in_(customer_ids))
    if shop_id is not None:
        query = query.where(o.shop_id == shop_id)
    return query.subquery("agg")


def add(stored: Any, more: Any) -> dict[str, Any]:
    """Rollups (``stored``: columns named as the rollups) plus those of orders that are new to
    them (``more``: an :func:`aggregate` of just those orders): what a full recompute gives,
    without reading a long-standing customer's every order again."""
    return {
        "order_count": stored.order_count + more.order_count,
        "total_paid": func.round(stored.total_paid + more.total_paid, 2),
        "first_order_at": case(
            (or_(stored.first_order_at.is_(None), more.first_order_at < stored.first_order_at), more.first_order_at),
            else_=stored.first_order_at,
        ),
        "last_order_at": case(
            (or_(stored.last_order_at.is_(None), more.last_order_at > stored.last_order_at), more.last_order_at),
            else_=stored.last_order_at,
        ),
    }


def _refresh_batch(conn: Connection | Session, customer_ids: CustomerIds | None, shop_id: int | None) -> None:
    # Customers left with no order at all get zeros; the aggregate covers everyone else.
    reset = update(Customer).values(
        order_count=0, total_paid=0, first_order_at=None, last_order_at=None
    )
    has_order = select(Order.id).where(Order.customer_id == Customer.id).exists()
    scope = []
    if customer_ids is not None:
        scope.append(Customer.id.in_(customer_ids))
    if shop_id is not None:
        scope.append(Customer.shop_id == shop_id)
    conn.execute(
        reset.where(and_(*scope, ~has_order, Customer.order_count != 0)),
        execution_options={"synchronize_session": False},
    )
    agg = aggregate(customer_ids, shop_id)
    conn.execute(
        update(Customer)
        .where(Customer.id == agg.c.customer_id)
        .values(
            order_count=agg.c.order_count,
            total_paid=agg.c.total_paid,
            first_order_at=agg.c.first_order_at,
            last_order_at=agg.c.last_order_at,
        ),
        execution_options={"synchronize_session": False},
    )


def refresh(
    conn: Connection | Session, customer_ids: Iterable[int] | SelectBase | None = None, shop_id: int | None = None
) -> None:
    """Recompute the rollups of ``customer_ids`` (ids, or a query selecting them; or of a
    whole shop, or of everyone)."""
    if customer_ids is None or isinstance(customer_ids, SelectBase):
        _refresh_batch(conn, customer_ids, shop_id)
        return
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), BATCH):
        _refresh_batch(conn, ids[start:start + BATCH], None)


def mark_dirty(session: Session, customer_ids: Iterable[int]) -> None:
    """Refresh these customers' rollups when ``session`` next commits."""
    session.info.setdefault(DIRTY_KEY, set()).update(customer_ids)


@event.listens_for(Session, "after_flush")
def _note_order_writes(session: Session, _ctx: Any) -> None:
    touched: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Order) and obj.customer_id is not None:
            touched.add(obj.customer_id)
            # An order moved to another customer: refresh the old one too.
            old = sa_inspect(obj).attrs.customer_id.history.deleted
            touched.update(i for i in old or () if i is not None)
    if touched:
        mark_dirty(session, touched)


@event.listens_for(Session, "before_commit")
def _refresh_dirty(session: Session) -> None:
    session.flush()
    dirty = session.info.pop(DIRTY_KEY, None)
    if dirty:
        refresh(session, dirty)
        # Loaded customers may hold stale rollups now.
        for obj in session.identity_map.values():
            if isinstance(obj, Customer) and obj.id in dirty:
                session.expire(obj, ["order_count", "total_paid", "first_order_at", "last_order_at"])


@event.listens_for(Session, "after_rollback")
def _forget_dirty(session: Session) -> None:
    session.info.pop(DIRTY_KEY, None)
