"""The replies page's reading of replies: newest first, opt-outs told by the shop's keywords,
filters that page through the replies without skipping any."""
from __future__ import annotations

import datetime as dt

import pytest

from shopcrm import inbound
from shopcrm.inbound import parse_cursor, reply_page
from shopcrm.models import Customer, Inbound, Shop
from shopcrm.opt_outs import save_keywords

START = dt.datetime(2026, 11, 1, 9, 0)


@pytest.fixture
def shop(session):
    shop = Shop(name="回复店")
    session.add(shop)
    session.commit()
    return shop


def add_replies(session, shop_id, texts, mobile="13812345678"):
    for n, text in enumerate(texts):
        session.add(Inbound(shop_id=shop_id, channel="sms_mock", mobile=mobile, text=text,
                            received_at=START + dt.timedelta(minutes=n)))
    session.commit()


def texts(page):
    return [row.inbound.text for row in page.rows]


def test_replies_come_newest_first_with_their_customer_and_opt_out_flag(session, shop):
    amy = Customer(shop_id=shop.id, identity="tb_amy", platform_id="tb_amy", mobile="13812345678")
    session.add(amy)
    session.flush()
    session.add(Inbound(shop_id=shop.id, channel="sms_mock", mobile="13812345678", text="退订。",
                        customer_id=amy.id, received_at=START))
    session.add(Inbound(shop_id=shop.id, channel="sms_mock", mobile="13812345678", text="什么时候发货",
                        customer_id=amy.id, received_at=START + dt.timedelta(hours=1)))
    session.commit()
    page = reply_page(session, shop.id)
    assert [(row.inbound.text, row.is_opt_out, row.customer.platform_id) for row in page.rows] == [
        ("什么时候发货", False, "tb_amy"), ("退订。", True, "tb_amy")]
    assert page.next_after is None


def test_pages_follow_on_and_filters_keep_only_their_kind(session, shop):
    add_replies(session, shop.id, ["TD", "好的", "R", "谢谢", "退订", "收到"])
    first = reply_page(session, shop.id, limit=4)
    assert texts(first) == ["收到", "退订", "谢谢", "R"]
    assert texts(reply_page(session, shop.id, after=first.next_after, limit=4)) == ["好的", "TD"]
    assert texts(reply_page(session, shop.id, "opt_out")) == ["退订", "R", "TD"]
    assert texts(reply_page(session, shop.id, "other")) == ["收到", "谢谢", "好的"]
    opt_outs = reply_page(session, shop.id, "opt_out", limit=2)
    assert texts(opt_outs) == ["退订", "R"]
    assert texts(reply_page(session, shop.id, "opt_out", after=opt_outs.next_after, limit=2)) == ["TD"]


def test_the_shops_current_keywords_decide(session, shop):
    add_replies(session, shop.id, ["TD", "不要再发了"])
    save_keywords(session, shop.id, ["不要再发了"])
    session.commit()
    assert texts(reply_page(session, shop.id, "opt_out")) == ["不要再发了"]


def test_a_search_by_mobile_digits(session, shop):
    add_replies(session, shop.id, ["甲"], mobile="13800001111")
    add_replies(session, shop.id, ["乙"], mobile="13900002222")
    assert texts(reply_page(session, shop.id, digits="2222")) == ["乙"]
    assert texts(reply_page(session, shop.id, digits="13800001111")) == ["甲"]


def test_a_filtered_page_stops_reading_at_the_limit_and_goes_on_from_there(session, shop, monkeypatch):
    monkeypatch.setattr(inbound, "BATCH", 2)
    monkeypatch.setattr(inbound, "SCAN_LIMIT", 4)
    add_replies(session, shop.id, ["TD", "a", "b", "c", "d", "e"])
    page = reply_page(session, shop.id, "opt_out")
    assert texts(page) == [] and page.next_after is not None
    assert texts(reply_page(session, shop.id, "opt_out", after=page.next_after)) == ["TD"]


@pytest.mark.parametrize("after", ["", "nonsense", "2026-13-01T00:00:00_5", "2026-11-01T00:00:00_x"])
def test_a_cursor_that_is_not_one_starts_at_the_top(after):
    assert parse_cursor(after) is None
