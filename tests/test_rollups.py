"""Customer rollups stay current whenever orders are written, and match an independent count."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert, select, update

from shopcrm import rollups
from shopcrm.models import Customer, Order, Shop

D = Decimal
T0 = dt.datetime(2026, 3, 1, 10, 0)


def make_shop_and_customers(session, n=2):
    shop = Shop(name="Rollup shop")
    session.add(shop)
    session.flush()
    customers = [Customer(shop_id=shop.id, platform_id=f"buyer{i}") for i in range(n)]
    session.add_all(customers)
    session.flush()
    return shop, customers


def order(shop, customer, oid, status, paid="0", refund="0", created=T0, paid_at=None):
    return Order(shop_id=shop.id, customer_id=customer.id, platform_order_id=oid, status=status,
                 paid_amount=D(paid), refund_amount=D(refund), total_amount=D(paid),
                 created_at=created, paid_at=paid_at)


def snapshot(session, customer):
    session.refresh(customer)
    return (customer.order_count, customer.total_paid, customer.first_order_at, customer.last_order_at)


def test_orm_writes_update_rollups_on_commit(session):
    shop, (alice, bob) = make_shop_and_customers(session)
    session.add_all([
        order(shop, alice, "1", "paid", "100.50", created=T0, paid_at=T0 + dt.timedelta(minutes=5)),
        order(shop, alice, "2", "completed", "20", "5", created=T0 + dt.timedelta(days=3)),
        order(shop, alice, "3", "pending_payment", "0", created=T0 + dt.timedelta(days=9)),
        order(shop, alice, "4", "refunded", "80", "80", created=T0 + dt.timedelta(days=10)),
        order(shop, bob, "5", "closed", created=T0),
    ])
    session.commit()
    assert snapshot(session, alice) == (2, D("115.50"), T0 + dt.timedelta(minutes=5), T0 + dt.timedelta(days=3))
    assert snapshot(session, bob) == (0, D("0"), None, None)


def test_a_status_change_and_a_delete_are_reflected(session):
    shop, (alice, _) = make_shop_and_customers(session)
    unpaid = order(shop, alice, "1", "pending_payment", "50")
    session.add(unpaid)
    session.commit()
    assert snapshot(session, alice)[0] == 0
    unpaid.status, unpaid.paid_at = "paid", T0 + dt.timedelta(hours=1)
    session.commit()
    assert snapshot(session, alice) == (1, D("50.00"), T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=1))
    session.delete(unpaid)
    session.commit()
    assert snapshot(session, alice) == (0, D("0"), None, None)


def test_moving_an_order_to_another_customer_refreshes_both(session):
    shop, (alice, bob) = make_shop_and_customers(session)
    moved = order(shop, alice, "1", "paid", "30")
    session.add(moved)
    session.commit()
    moved.customer_id = bob.id
    session.commit()
    assert snapshot(session, alice)[:2] == (0, D("0"))
    assert snapshot(session, bob)[:2] == (1, D("30.00"))


def test_a_rollback_forgets_pending_refreshes(session):
    shop, (alice, _) = make_shop_and_customers(session)
    session.add(order(shop, alice, "1", "paid", "30"))
    session.flush()
    session.rollback()
    assert session.info.get(rollups.DIRTY_KEY) is None


def test_bulk_writes_marked_dirty_are_refreshed_set_based(session):
    shop, customers = make_shop_and_customers(session, n=30)
    rows = [
        {"shop_id": shop.id, "customer_id": c.id, "platform_order_id": f"{c.id}-{k}",
         "status": "paid" if k % 3 else "closed", "paid_amount": D(10 * (k + 1)),
         "refund_amount": D(0), "total_amount": D(10 * (k + 1)),
         "created_at": T0 + dt.timedelta(days=k), "source": "test"}
        for c in customers for k in range(c.id % 5)
    ]
    session.execute(insert(Order), rows)
    rollups.mark_dirty(session, [c.id for c in customers])
    session.commit()
    for c in customers:
        counted = [r for r in rows if r["customer_id"] == c.id and r["status"] == "paid"]
        expected = (
            len(counted),
            sum((r["paid_amount"] for r in counted), D(0)),
            min((r["created_at"] for r in counted), default=None),
            max((r["created_at"] for r in counted), default=None),
        )
        assert snapshot(session, c) == expected


def test_refresh_of_a_whole_shop_leaves_other_shops_alone(session):
    shop, (alice, _) = make_shop_and_customers(session)
    other = Shop(name="Other shop")
    session.add(other)
    session.flush()
    carol = Customer(shop_id=other.id, platform_id="carol")
    session.add(carol)
    session.flush()
    session.add_all([order(shop, alice, "1", "paid", "10"), order(other, carol, "1", "paid", "99")])
    session.commit()
    # Corrupt both rollups behind the ORM's back, then refresh only the first shop.
    session.execute(update(Customer).values(order_count=7, total_paid=D(1)))
    session.commit()
    rollups.refresh(session, shop_id=shop.id)
    session.commit()
    assert snapshot(session, alice)[:2] == (1, D("10.00"))
    assert snapshot(session, carol)[:2] == (7, D("1.00"))
    assert session.scalar(select(Customer.order_count).where(Customer.id == carol.id)) == 7
