"""Demo data: a believable shop, the same for the same seed, consistent with the core's rules."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from shopcrm import rollups
from shopcrm.demo_data import generate
from shopcrm.models import Customer, Order, OrderItem, Review, Shop

TODAY = dt.date(2026, 11, 22)


def make_shop(session, name="演示店"):
    shop = Shop(name=name)
    session.add(shop)
    session.commit()
    return shop


def fingerprint(session, shop_id):
    customers = session.execute(select(Customer.name, Customer.mobile, Customer.province, Customer.birthday)
                                .where(Customer.shop_id == shop_id).order_by(Customer.id)).all()
    orders = session.execute(select(Order.status, Order.paid_amount, Order.created_at)
                             .where(Order.shop_id == shop_id).order_by(Order.id)).all()
    return customers, orders


def test_the_same_seed_gives_the_same_shop_and_another_seed_another(engine, session):
    first, second, third = make_shop(session, "a"), make_shop(session, "b"), make_shop(session, "c")
    generate(engine, first.id, customers=300, orders=700, seed=5, today=TODAY)
    generate(engine, second.id, customers=300, orders=700, seed=5, today=TODAY)
    generate(engine, third.id, customers=300, orders=700, seed=6, today=TODAY)
    assert fingerprint(session, first.id) == fingerprint(session, second.id)
    assert fingerprint(session, first.id) != fingerprint(session, third.id)


def test_a_believable_shop(engine, session):
    shop = make_shop(session)
    stats = generate(engine, shop.id, customers=2000, orders=5000, seed=1, today=TODAY)
    assert (stats.customers, stats.orders) == (2000, 5000)
    assert session.scalar(select(func.count()).select_from(OrderItem)) == stats.items >= 5000
    assert session.scalar(select(func.count()).select_from(Review)) == stats.reviews > 0
    assert session.scalar(select(func.count()).where(Review.is_bad)) > 0
    statuses = dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    assert {"completed", "closed", "refunded"} <= set(statuses)
    assert statuses["completed"] > sum(statuses.values()) / 2
    by_count = dict(session.execute(select(Customer.order_count, func.count()).group_by(Customer.order_count)).all())
    assert by_count[1] > 2000 / 2, "most customers buy once"
    assert max(by_count) >= 8, "a long tail buys often"
    months = dict(session.execute(
        select(func.extract("month", Order.created_at), func.count()).group_by(func.extract("month", Order.created_at))
    ).all())
    assert months[11] > 1.4 * months[10] and months[6] > 1.3 * months[5], "Double 11 and 618 peaks"
    assert session.scalar(select(func.count()).where(Customer.sms_reachable.is_(False))) > 0
    assert session.scalar(select(func.count(func.distinct(Customer.province)))) >= 20
    parcels = session.execute(select(Order.shipped_at.is_not(None), func.count(Order.tracking_number),
                                     func.count(func.distinct(Order.carrier)), func.count())
                              .group_by(Order.shipped_at.is_not(None))).all()
    for shipped, waybills, carriers, orders in parcels:  # every shipped order has its parcel, no other has
        assert (waybills, carriers > 1) == ((orders, True) if shipped else (0, False))


def test_rollups_are_consistent_and_ids_keep_counting(engine, session):
    shop = make_shop(session)
    generate(engine, shop.id, customers=200, orders=500, seed=3, today=TODAY)
    before = session.execute(select(Customer.id, Customer.order_count, Customer.total_paid).order_by(Customer.id)).all()
    rollups.refresh(session, shop_id=shop.id)
    session.commit()
    assert session.execute(select(Customer.id, Customer.order_count, Customer.total_paid).order_by(Customer.id)).all() == before
    # Explicit ids were written: the database's own id generation must go on after them.
    extra = Customer(shop_id=shop.id, platform_id="after-demo")
    session.add(extra)
    session.flush()
    assert extra.id == 201
    session.add(Order(shop_id=shop.id, customer_id=extra.id, platform_order_id="after", status="paid",
                      paid_amount=Decimal(1), created_at=dt.datetime(2026, 1, 1)))
    session.commit()
    assert session.scalar(select(func.max(Order.id))) == 501
