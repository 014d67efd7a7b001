"""The shop's overall counts and orders per calendar day (web.shop_figures)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from shopcrm.models import Customer, Message, Order, Shop
from shopcrm.shops import default_shop
from shopcrm.web.shop_figures import day_bounds, orders_per_day, shop_figures
from web_support import make_customer

NOW = dt.datetime(2025, 3, 10, 12, 0)  # 20:00 in Shanghai


def add_order(session: Session, shop: Shop, customer: Customer, number: str, created: dt.datetime) -> None:
    session.add(Order(shop_id=shop.id, customer_id=customer.id, platform_order_id=number,
                      status="paid", paid_amount=Decimal("10"), created_at=created))


def populated_shop(session: Session) -> Shop:
    shop = default_shop(session)
    other = Shop(name="别的店")
    session.add(other)
    session.flush()
    customers = [make_customer(shop.id, f"b{i}", sms_reachable=i < 2) for i in range(3)]
    stranger = make_customer(other.id, "x")
    session.add_all([*customers, stranger])
    session.flush()
    add_order(session, shop, customers[0], "o1", NOW - dt.timedelta(days=1))
    add_order(session, shop, customers[1], "o2", NOW - dt.timedelta(days=2))
    add_order(session, shop, customers[1], "o3", NOW - dt.timedelta(days=90))
    add_order(session, other, stranger, "o4", NOW)
    for status in ("delivered", "sent", "failed", "pending"):
        session.add(Message(shop_id=shop.id, customer_id=customers[0].id, channel="sms",
                            to="13812341234", text="hi", status=status))
    session.commit()
    return shop


def test_figures_count_only_the_shops_own_rows(session: Session) -> None:
    shop = populated_shop(session)
    figures = shop_figures(session, shop, now=NOW)
    assert (figures.customers, figures.reachable_customers) == (3, 2)
    assert (figures.orders, figures.recent_orders) == (3, 2)
    assert (figures.messages, figures.sent_messages) == (4, 2)


def test_orders_are_counted_by_the_shops_calendar_day(session: Session) -> None:
    shop = default_shop(session)
    customer = make_customer(shop.id, "b")
    session.add(customer)
    session.flush()
    add_order(session, shop, customer, "late", dt.datetime(2025, 3, 9, 15, 30))   # 23:30 on the 9th
    add_order(session, shop, customer, "early", dt.datetime(2025, 3, 9, 16, 30))  # 00:30 on the 10th
    add_order(session, shop, customer, "old", dt.datetime(2025, 1, 1))
    session.commit()
    days = orders_per_day(session, shop, days=3, now=NOW)
    assert [(d.day.isoformat(), d.count) for d in days] == [
        ("2025-03-08", 0), ("2025-03-09", 1), ("2025-03-10", 1)]


def test_day_bounds_are_local_midnights_in_utc() -> None:
    (day, start, end), = day_bounds("Asia/Shanghai", 1, now=NOW)
    assert day == dt.date(2025, 3, 10)
    assert (start, end) == (dt.datetime(2025, 3, 9, 16), dt.datetime(2025, 3, 10, 16))
