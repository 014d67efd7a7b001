"""Replies are filed for their shop, once; a keyword reply opts the number out of its channel."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shopcrm.channels import MessageEvent
from shopcrm.default_plugins.replies import file_reply
from shopcrm.models import Customer, Inbound, OptOut, Shop
from shopcrm.opt_outs import save_keywords


@pytest.fixture
def shop(session):
    shop = Shop(name="回复店")
    session.add(shop)
    session.flush()
    session.add(Customer(shop_id=shop.id, platform_id="tb_amy", mobile="13812345678", mobile_tail="5678",
                         sms_reachable=True))
    session.commit()
    return shop


def reply(shop_id, text, gateway_id=None, mobile="+86 138 1234 5678"):
    return MessageEvent(kind="replied", channel="sms_aliyun", mobile=mobile, text=text, gateway_id=gateway_id,
                        occurred_at=dt.datetime(2026, 11, 29, 10, 0), shop_id=shop_id)


def test_a_reply_is_filed_with_its_customer_and_a_keyword_opts_out(config, session, shop):
    assert file_reply(reply(shop.id, "什么时候发货？", "s1"), config) is False
    assert file_reply(reply(shop.id, "退订", "s2"), config) is True
    session.expire_all()
    rows = session.execute(select(Inbound.text, Inbound.mobile, Inbound.customer_id).order_by(Inbound.id)).all()
    amy = session.scalar(select(Customer.id).where(Customer.platform_id == "tb_amy"))
    assert rows == [("什么时候发货？", "13812345678", amy), ("退订", "13812345678", amy)]
    assert session.execute(select(OptOut.channel, OptOut.mobile, OptOut.source)).all() == [
        ("sms_aliyun", "13812345678", "reply")]


def test_the_same_reply_reported_twice_is_filed_once(config, session, shop):
    file_reply(reply(shop.id, "TD", "dup"), config)
    assert file_reply(reply(shop.id, "TD", "dup"), config) is False
    session.expire_all()
    assert len(session.scalars(select(Inbound.id)).all()) == 1


def test_the_shops_own_keywords_count(config, session, shop):
    save_keywords(session, shop.id, ["不要再发"])
    session.commit()
    assert file_reply(reply(shop.id, "TD", "a"), config) is False
    assert file_reply(reply(shop.id, "不要再发！", "b"), config) is True


def test_events_without_a_shop_or_not_replies_are_left_alone(config, session, shop):
    assert file_reply(reply(None, "TD"), config) is False
    delivered = MessageEvent(kind="delivered", channel="sms_aliyun", mobile="13812345678", shop_id=shop.id)
    assert file_reply(delivered, config) is False
    session.expire_all()
    assert session.scalars(select(Inbound.id)).all() == [] and session.scalars(select(OptOut.id)).all() == []


def test_a_reply_is_linked_to_the_message_it_answers(config, session, shop):
    from shopcrm.models import Message

    amy = session.scalar(select(Customer.id).where(Customer.platform_id == "tb_amy"))
    older, latest, other_channel = (Message(shop_id=shop.id, customer_id=amy, channel=channel, to="13812345678",
                                            text=text, status="sent",
                                            created_at=dt.datetime(2026, 11, day, 9, 0))
                                    for channel, text, day in (("sms_aliyun", "上新", 20), ("sms_aliyun", "返场", 27),
                                                               ("sms_mock", "沙箱", 28)))
    session.add_all([older, latest, other_channel])
    session.commit()
    file_reply(reply(shop.id, "好的", "s9"), config)
    session.expire_all()
    assert session.scalar(select(Inbound.message_id).where(Inbound.gateway_id == "s9")) == latest.id
