"""The customer list and a customer's page: search, masking by role, timeline, shop scoping."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shopcrm.models import CustomerLabel, Order, OrderItem, Review, Shop
from shopcrm.shops import default_shop
from tests.web.web_support import make_customer, text


@pytest.fixture
def shop_with_customers(session):
    shop = default_shop(session)
    wang = make_customer(shop.id, "tb_wang", name="王小明", mobile="13812345678", mobile_tail="5678",
                         sms_reachable=True, province="浙江省", city="杭州市")
    li = make_customer(shop.id, "tb_li", name="李丽", mobile="0571-8888", province="广东省")
    session.add_all([wang, li])
    session.flush()
    order = Order(shop_id=shop.id, customer_id=wang.id, platform_order_id="3712", status="signed",
                  paid_amount=Decimal("128.5"), created_at=dt.datetime(2026, 11, 10, 16, 0),
                  paid_at=dt.datetime(2026, 11, 10, 16, 5), shipped_at=dt.datetime(2026, 11, 11, 2, 0),
                  signed_at=dt.datetime(2026, 11, 13, 8, 0), carrier="中通快递", tracking_number="73512345678901")
    session.add(order)
    session.flush()
    session.add(OrderItem(order_id=order.id, title="保温杯 500ml", quantity=2))
    session.add(Review(shop_id=shop.id, customer_id=wang.id, platform_review_id="r1", rating=1, is_bad=True,
                       content="杯盖漏水", created_at=dt.datetime(2026, 11, 15)))
    session.add(CustomerLabel(shop_id=shop.id, customer_id=wang.id, segmenter="rfm", value="重要价值客户"))
    other = Shop(name="别人的店")
    session.add(other)
    session.flush()
    stranger = make_customer(other.id, "tb_stranger", name="外人", mobile="13900000000")
    session.add(stranger)
    session.commit()
    return {"wang": wang.id, "li": li.id, "stranger": stranger.id}


def test_list_masks_mobiles_for_operators_and_shows_them_to_admins(login_as, operator, admin, shop_with_customers):
    page = text(login_as(operator).get("/customers/"))
    assert "王小明" in page and "138****5678" in page and "13812345678" not in page
    assert "重要价值客户" in page
    assert "13812345678" in text(login_as(admin).get("/customers/"))


@pytest.mark.parametrize(("query", "found", "absent"),
                         [("5678", "王小明", "李丽"), ("tb_li", "李丽", "王小明"), ("王", "王小明", "李丽")])
def test_search(login_as, viewer, shop_with_customers, query, found, absent):
    page = text(login_as(viewer).get("/customers/", query_string={"q": query}))
    assert found in page and absent not in page


def test_htmx_search_returns_only_the_rows(login_as, viewer, shop_with_customers):
    response = login_as(viewer).get("/customers/?q=5678", headers={"HX-Request": "true"})
    assert "王小明" in text(response) and "<html" not in text(response)


def test_filters_and_a_broken_page_link(login_as, viewer, shop_with_customers):
    client = login_as(viewer)
    page = text(client.get("/customers/", query_string={"province": "广东省"}))
    assert "李丽" in page and "王小明" not in page
    assert "李丽" in text(client.get("/customers/", query_string={"reachable": "no"}))
    assert "page link is broken" in text(client.get("/customers/?after=zzz"))


def test_customer_page_shows_profile_timeline_reviews_and_labels(login_as, operator, shop_with_customers):
    page = text(login_as(operator).get(f"/customers/{shop_with_customers['wang']}"))
    for expected in ("王小明", "138****5678", "3712", "已签收", "保温杯 500ml × 2", "差评", "杯盖漏水", "重要价值客户",
                     "包裹: 中通快递 73512345678901"):
        assert expected in page, expected
    assert "手机号无效" in text(login_as(operator).get(f"/customers/{shop_with_customers['li']}"))


def test_another_shops_customer_is_not_found(login_as, admin, shop_with_customers):
    assert login_as(admin).get(f"/customers/{shop_with_customers['stranger']}").status_code == 404
    assert login_as(admin).get("/customers/999999").status_code == 404


def test_order_list(login_as, viewer, shop_with_customers):
    client = login_as(viewer)
    page = text(client.get("/orders/"))
    assert "3712" in page and "王小明" in page
    assert "3712" not in text(client.get("/orders/", query_string={"status": "refunded"}))
    assert "3712" in text(client.get("/orders/", query_string={"q": "3712"}))
    assert "3712" not in text(client.get("/orders/", query_string={"from": "2026-11-12"}))
