"""The dashboard's figures, each checked against the same figure worked out independently in
Python from the orders of a small hand-built shop: closed and refunded orders, a returning
customer, an order without a payment time and orders either side of a Shanghai midnight."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.models import Customer, CustomerLabel, Order, Shop
from shopcrm.report_period import local_day, period
from shopcrm.shop_metrics import daily, label_counts, provinces, summaries

TZ = "Asia/Shanghai"
NOW = dt.datetime(2026, 11, 20, 4, 0)  # 12:00 on 20 November in Shanghai
KEPT = {"paid", "shipped", "signed", "completed"}


def utc(local: str) -> dt.datetime:
    """A Shanghai wall-clock time as the naive UTC the database stores."""
    return dt.datetime.fromisoformat(local) - dt.timedelta(hours=8)


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = Shop(name="指标店", timezone=TZ)
    other = Shop(name="别的店", timezone=TZ)
    session.add_all([shop, other])
    session.flush()
    people = {}
    for name, province in [("old", "浙江"), ("back", "浙江"), ("fresh", "广东"), ("twice", None),
                           ("lost", "江苏"), ("midnight", "广东"), ("never", "上海")]:
        people[name] = Customer(shop_id=shop.id, platform_id=name, province=province)
    stranger = Customer(shop_id=other.id, platform_id="stranger", province="浙江")
    session.add_all([*people.values(), stranger])
    session.flush()
    n = 0

    def order(who: Customer, status: str, paid_at: str | None, amount: str, refund: str = "0",
              created: str | None = None, shop_id: int = shop.id) -> None:
        nonlocal n
        n += 1
        created_at = utc(created) if created else utc(paid_at) - dt.timedelta(minutes=5)  # type: ignore[arg-type]
        session.add(Order(shop_id=shop_id, customer_id=who.id, platform_order_id=f"o{n}", status=status,
                          paid_amount=Decimal(amount), refund_amount=Decimal(refund), total_amount=Decimal(amount),
                          created_at=created_at, paid_at=utc(paid_at) if paid_at else None))

    # A customer since the summer who buys in both periods: returning.
    order(people["old"], "completed", "2026-06-01 10:00", "300")
    order(people["old"], "completed", "2026-11-10 09:00", "120")
    order(people["old"], "shipped", "2026-11-19 22:00", "80", refund="30")   # partly refunded: 50
    # Bought long ago, then again in the previous period and in this one.
    order(people["back"], "completed", "2026-03-03 12:00", "50")
    order(people["back"], "signed", "2026-10-30 08:00", "60")
    order(people["back"], "paid", "2026-11-15 15:00", "70")
    # New in this period; a second order closed and a third refunded: neither counts.
    order(people["fresh"], "paid", "2026-11-14 11:00", "200")
    order(people["fresh"], "closed", None, "999", created="2026-11-15 10:00")
    order(people["fresh"], "refunded", "2026-11-16 10:00", "500", refund="500")
    # New in this period with two paid orders, one without a payment time (dated by its creation).
    order(people["twice"], "completed", "2026-11-11 10:00", "40")
    order(people["twice"], "completed", None, "60", created="2026-11-18 10:00")
    # Bought only in the previous period.
    order(people["lost"], "completed", "2026-11-01 10:00", "90")
    # Either side of midnight: 23:59 on 13 November is the previous period; 00:01 on the 14th is this one.
    order(people["midnight"], "paid", "2026-11-13 23:59", "10")
    order(people["midnight"], "paid", "2026-11-14 00:01", "20")
    # Only an unpaid order: never a customer of the figures.
    order(people["never"], "pending_payment", None, "33", created="2026-11-18 09:00")
    # Another shop's order in the period.
    order(stranger, "completed", "2026-11-16 10:00", "1000", shop_id=other.id)
    session.commit()
    return shop


def kept_orders(session: Session, shop: Shop) -> list[tuple[int, dt.datetime, Decimal]]:
    """Every paid order of the shop as (customer, date, amount): the independent reading."""
    return [(o.customer_id, o.paid_at or o.created_at, o.paid_amount - o.refund_amount)
            for o in session.scalars(select(Order).where(Order.shop_id == shop.id)) if o.status in KEPT]


def expected(orders: list[tuple[int, dt.datetime, Decimal]], start: dt.datetime, end: dt.datetime) -> dict:
    first: dict[int, dt.datetime] = {}
    for customer, at, _amount in orders:
        first[customer] = min(at, first.get(customer, at))
    inside = [(c, at, amount) for c, at, amount in orders if start <= at < end]
    per_customer: dict[int, int] = {}
    for customer, _at, _amount in inside:
        per_customer[customer] = per_customer.get(customer, 0) + 1
    return {
        "customers": sum(1 for at in first.values() if at < end),
        "new_customers": sum(1 for at in first.values() if start <= at < end),
        "paying_customers": len(per_customer),
        "repeat_customers": sum(1 for count in per_customer.values() if count >= 2),
        "orders": len(inside),
        "sales": sum((amount for _c, _at, amount in inside), Decimal("0")),
        "returning_sales": sum((amount for c, _at, amount in inside if first[c] < start), Decimal("0")),
    }


def as_dict(summary) -> dict:
    return {key: getattr(summary, key) for key in ("customers", "new_customers", "paying_customers",
                                                    "repeat_customers", "orders", "sales", "returning_sales")}


def test_the_summary_matches_an_independent_count(session: Session, shop: Shop) -> None:
    chosen = period(TZ, "7d", now=NOW)  # 14–20 November, to 12:00 today; compared with 7–13 November
    assert (chosen.first, chosen.last) == (dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    current, previous = summaries(session, shop.id, [chosen.window, chosen.previous])
    orders = kept_orders(session, shop)
    assert as_dict(current) == expected(orders, chosen.window.start, chosen.window.end)
    assert as_dict(previous) == expected(orders, chosen.previous.start, chosen.previous.end)


def test_the_summary_in_figures_worked_out_by_hand(session: Session, shop: Shop) -> None:
    chosen = period(TZ, "7d", now=NOW)
    current, previous = summaries(session, shop.id, [chosen.window, chosen.previous])
    # This period: old 50, back 70, fresh 200, twice 60, midnight 20.
    assert current.orders == 5 and current.sales == Decimal("400.00")
    assert current.paying_customers == 5 and current.repeat_customers == 0
    # fresh (first on the 14th); twice and midnight were new in the previous period.
    assert current.new_customers == 1
    assert current.customers == 6  # everyone but "never"
    assert current.returning_sales == Decimal("200.00") and current.returning_share == 0.5
    assert current.aov == Decimal("80.00") and current.repurchase_rate == 0.0
    # The previous period runs from 7 November to 12:00 on the 13th (as long as this one, cut at
    # the same hour as today): old 120 (10th), twice 40 (11th); midnight's 23:59 order is after it.
    assert previous.orders == 2 and previous.sales == Decimal("160.00")
    assert previous.new_customers == 1 and previous.customers == 4
    assert previous.returning_share == 0.75


def test_a_period_of_whole_days_compares_whole_days(session: Session, shop: Shop) -> None:
    chosen = period(TZ, "custom", dt.date(2026, 11, 14), dt.date(2026, 11, 19), now=NOW)
    current, previous = summaries(session, shop.id, [chosen.window, chosen.previous])
    orders = kept_orders(session, shop)
    assert chosen.previous == type(chosen.previous)(utc("2026-11-08 00:00"), utc("2026-11-14 00:00"))
    assert as_dict(current) == expected(orders, chosen.window.start, chosen.window.end)
    assert as_dict(previous) == expected(orders, chosen.previous.start, chosen.previous.end)
    # The previous period holds midnight's 23:59 order and twice's first: repeat customers none,
    # paying customers old, twice, midnight.
    assert previous.paying_customers == 3 and previous.sales == Decimal("170.00")


def test_a_repeat_buyer_counts_towards_the_repurchase_rate(session: Session, shop: Shop) -> None:
    chosen = period(TZ, "30d", now=NOW)  # 22 October – 20 November
    current, = summaries(session, shop.id, [chosen.window])
    assert as_dict(current) == expected(kept_orders(session, shop), chosen.window.start, chosen.window.end)
    # old (2), back (2), twice (2), midnight (2) of 6 paying customers (fresh, lost once each).
    assert (current.repeat_customers, current.paying_customers) == (4, 6)
    assert current.repurchase_rate == round(4 / 6, 4)


def test_days_follow_the_shops_midnight(session: Session, shop: Shop) -> None:
    chosen = period(TZ, "custom", dt.date(2026, 11, 13), dt.date(2026, 11, 20), now=NOW)
    days = daily(session, shop.id, chosen.day_bounds())
    orders = kept_orders(session, shop)
    first = {c: min(at for cc, at, _a in orders if cc == c) for c, _at, _a in orders}
    for figures in days:
        start, end = local_day(TZ, figures.day)
        inside = [(c, at, a) for c, at, a in orders if start <= at < end]
        buyers = {c for c, _at, _a in inside}
        assert (figures.orders, figures.sales) == (len(inside), sum((a for *_x, a in inside), Decimal("0")))
        assert figures.paying_customers == len(buyers)
        assert figures.new_customers == sum(1 for c in buyers if first[c] >= start)
        assert figures.returning_customers == sum(1 for c in buyers if first[c] < start)
    by_day = {d.day.isoformat(): (d.orders, d.sales, d.new_customers) for d in days}
    assert by_day["2026-11-13"] == (1, Decimal("10.00"), 1)   # midnight's first order, 23:59
    assert by_day["2026-11-14"] == (2, Decimal("220.00"), 1)  # 00:01 (returning) and fresh (new)
    assert by_day["2026-11-17"] == (0, Decimal("0.00"), 0)


def test_provinces_count_the_periods_paying_customers(session: Session, shop: Shop) -> None:
    chosen = period(TZ, "7d", now=NOW)
    found = [(p.province, p.paying_customers, p.sales) for p in provinces(session, shop.id, chosen.window)]
    # Most paying customers first, then most sales; customers without a province last.
    assert found == [("广东", 2, Decimal("220.00")), ("浙江", 2, Decimal("120.00")), (None, 1, Decimal("60.00"))]


def test_label_counts_group_the_shops_labels(session: Session, shop: Shop) -> None:
    customers = session.scalars(select(Customer).where(Customer.shop_id == shop.id).order_by(Customer.id)).all()
    for customer, value in zip(customers, ["重要价值客户", "重要价值客户", "一般挽留客户"]):
        session.add(CustomerLabel(shop_id=shop.id, customer_id=customer.id, segmenter="rfm", value=value))
    session.add(CustomerLabel(shop_id=shop.id, customer_id=customers[0].id, segmenter="lifecycle", value="活跃"))
    session.commit()
    assert label_counts(session, shop.id, "rfm") == {"重要价值客户": 2, "一般挽留客户": 1}
    assert label_counts(session, shop.id, "lifecycle") == {"活跃": 1}
    assert label_counts(session, shop.id, "tier") == {}


def test_an_empty_shop_has_zeros_and_no_rates(session: Session) -> None:
    shop = Shop(name="空店", timezone=TZ)
    session.add(shop)
    session.commit()
    chosen = period(TZ, "today", now=NOW)
    current, previous = summaries(session, shop.id, [chosen.window, chosen.previous])
    assert current.orders == current.customers == 0 and current.sales == Decimal("0.00")
    assert current.aov is None and current.repurchase_rate is None and current.returning_share is None
    assert [d.orders for d in daily(session, shop.id, chosen.day_bounds())] == [0]


def test_days_across_a_clock_change_keep_their_midnights(session: Session) -> None:
    york = ZoneInfo("America/New_York")  # clocks go back an hour early on 1 November 2026
    shop = Shop(name="纽约店", timezone="America/New_York")
    session.add(shop)
    session.flush()
    buyer = Customer(shop_id=shop.id, platform_id="ny")
    session.add(buyer)
    session.flush()
    for n, local in enumerate(["2026-10-31 23:30", "2026-11-01 00:30", "2026-11-01 23:30", "2026-11-02 00:30"]):
        at = dt.datetime.fromisoformat(local).replace(tzinfo=york).astimezone(dt.UTC).replace(tzinfo=None)
        session.add(Order(shop_id=shop.id, customer_id=buyer.id, platform_order_id=f"ny{n}", status="paid",
                          paid_amount=Decimal("10"), total_amount=Decimal("10"), created_at=at, paid_at=at))
    session.commit()
    chosen = period("America/New_York", "custom", dt.date(2026, 10, 31), dt.date(2026, 11, 2),
                    now=dt.datetime(2026, 11, 10))
    days = daily(session, shop.id, chosen.day_bounds())
    assert [(d.day.day, d.orders, d.new_customers, d.returning_customers) for d in days] == [
        (31, 1, 1, 0), (1, 2, 0, 1), (2, 1, 0, 1)]


def test_the_same_hours_of_each_day(session: Session, shop: Shop) -> None:
    # 00:00–00:05 of each day from the 13th to the 14th: only midnight's 00:01 order on the 14th.
    bounds = []
    for day in (dt.date(2026, 11, 13), dt.date(2026, 11, 14)):
        start, _ = local_day(TZ, day)
        bounds.append((day, start, start + dt.timedelta(minutes=5)))
    assert [(d.orders, d.sales) for d in daily(session, shop.id, bounds)] == [
        (0, Decimal("0.00")), (1, Decimal("20.00"))]
