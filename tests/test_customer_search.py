"""The customer list query: search by nick, name and mobile digits, filters, keyset pages."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import update

from shopcrm.customer_search import Filters, search
from shopcrm.db import utcnow
from shopcrm.models import Customer, Shop

NOW = utcnow()


@pytest.fixture
def shop(session):
    shop = Shop(name="列表店")
    other = Shop(name="别的店")
    session.add_all([shop, other])
    session.flush()
    rows = [
        ("tb_wang", "王小明", "13812345678", "浙江省", 3, Decimal("300"), NOW - dt.timedelta(days=2), True),
        ("tb_wangfei", "王菲", "13912345678", "北京市", 1, Decimal("50"), NOW - dt.timedelta(days=200), True),
        ("lily88", "李丽", "13700001111", "浙江省", 0, Decimal("0"), None, True),
        ("zhang", "张三", "0571-8888", "广东省", 2, Decimal("120"), NOW - dt.timedelta(days=20), False),
    ]
    for nick, name, mobile, province, count, paid, last, reachable in rows:
        session.add(Customer(shop_id=shop.id, platform_id=nick, name=name, mobile=mobile,
                             mobile_tail=mobile[-4:] if reachable else None, sms_reachable=reachable,
                             province=province))
    session.add(Customer(shop_id=other.id, platform_id="tb_wang", mobile="13812345678", mobile_tail="5678"))
    session.commit()
    for nick, _, _, _, count, paid, last, _ in rows:
        session.execute(update(Customer).where(Customer.shop_id == shop.id, Customer.platform_id == nick)
                        .values(order_count=count, total_paid=paid, last_order_at=last))
    session.commit()
    return shop


def nicks(page):
    return [c.platform_id for c in page.rows]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("tb_wang", ["tb_wang", "tb_wangfei"]), ("王", ["tb_wang", "tb_wangfei"]), ("王菲", ["tb_wangfei"]),
     ("5678", ["tb_wang", "tb_wangfei"]), ("45678", ["tb_wang", "tb_wangfei"]), ("13700001111", ["lily88"]),
     ("1111", ["lily88"]), ("138-1234-5678", ["tb_wang"]), ("nobody", []), ("", ["tb_wang", "zhang", "tb_wangfei", "lily88"])],
)
def test_search(session, shop, query, expected):
    assert nicks(search(session, shop.id, query)) == expected


@pytest.mark.parametrize("few", [0, 1, 2000])
@pytest.mark.parametrize(("query", "expected"), [("tb_wang", ["tb_wang", "tb_wangfei"]), ("王", ["tb_wang", "tb_wangfei"]),
                                                 ("5678", ["tb_wang", "tb_wangfei"]), ("nobody", [])])
def test_a_search_gives_the_same_pages_from_its_own_matches_or_from_the_sort_index(
        session, shop, monkeypatch, few, query, expected):
    """Whether the search is taken as matching few customers (read by its indexes, then sorted)
    or many (the sort index read, each customer tested), the pages are the same."""
    import shopcrm.customer_search as customer_search

    monkeypatch.setattr(customer_search, "FEW", few)
    seen, cursor = [], None
    while True:
        page = search(session, shop.id, query, cursor=cursor, limit=1)
        seen += nicks(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_filters(session, shop):
    assert nicks(search(session, shop.id, filters=Filters(province="浙江省"))) == ["tb_wang", "lily88"]
    assert nicks(search(session, shop.id, filters=Filters(min_orders=1, max_orders=2))) == ["zhang", "tb_wangfei"]
    assert nicks(search(session, shop.id, filters=Filters(bought_within_days=30))) == ["tb_wang", "zhang"]
    assert nicks(search(session, shop.id, filters=Filters(reachable=False))) == ["zhang"]
    assert nicks(search(session, shop.id, filters=Filters(max_orders=0))) == ["lily88"]


@pytest.mark.parametrize("sort", ["last_order", "total_paid", "created"])
def test_keyset_pages_cover_everyone_once_in_order(session, shop, sort):
    # Many customers with equal sort values, some with none (never ordered).
    for n in range(23):
        session.add(Customer(shop_id=shop.id, platform_id=f"p{n}", mobile=f"1390000{n:04d}"))
    session.commit()
    session.execute(update(Customer).where(Customer.platform_id.like("p%"))
                    .values(total_paid=Decimal("120"), last_order_at=NOW - dt.timedelta(days=20)))
    session.execute(update(Customer).where(Customer.platform_id.in_(["p1", "p2", "p3"]))
                    .values(last_order_at=None))
    session.commit()
    everyone = nicks(search(session, shop.id, sort=sort, limit=1000))
    seen, cursor = [], None
    while True:
        page = search(session, shop.id, sort=sort, cursor=cursor, limit=5)
        seen += nicks(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == everyone and len(seen) == len(set(seen)) == 27


def test_a_broken_cursor_and_an_unknown_sort_are_clear(session, shop):
    with pytest.raises(ValueError, match="page link is broken"):
        search(session, shop.id, cursor="garbage")
    with pytest.raises(ValueError, match="unknown sort 'age'"):
        search(session, shop.id, sort="age")
