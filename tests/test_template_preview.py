"""The template preview: the composed SMS, its billed parts, the cost, and a real customer's message."""
from __future__ import annotations

import math
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from shopcrm import channel_settings
from shopcrm.config import Config
from shopcrm.message_templates import OPT_OUT_TEXT
from shopcrm.models import Customer, Shop
from shopcrm.template_preview import find_customers, preview, price_per_part

EXAMPLE_NICK = "tb_zhangwei88"  # the ${nickname} variable's example


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = Shop(name="小满", sms_signature="小满生活")
    session.add(shop)
    session.flush()
    return shop


@pytest.fixture
def customer(session: Session, shop: Shop) -> Customer:
    customer = Customer(shop_id=shop.id, identity="tb_wang", platform_id="tb_wang", name="王小明",
                        mobile="13812345678", mobile_tail="5678")
    session.add(customer)
    session.flush()
    return customer


def billed(length: int) -> int:
    return 1 if length <= 70 else math.ceil(length / 67)


def test_marketing_is_signed_and_ends_with_the_opt_out_text(session: Session, config: Config, shop: Shop) -> None:
    result = preview(session, config, shop.id, "${nickname}，新品上市", marketing=True, recipients=10)
    expected = f"【小满生活】{EXAMPLE_NICK}，新品上市 {OPT_OUT_TEXT}"
    assert result.error is None and result.example is not None
    assert (result.example.text, result.example.characters, result.example.parts) == (expected, len(expected), 1)
    assert result.cost == Decimal("0.45")  # 10 x 1 part x the default 0.045


def test_a_real_customer_gets_their_own_values(session: Session, config: Config, shop: Shop,
                                               customer: Customer) -> None:
    body = "${nickname}您好，" + "春季新品全场八折，会员再享双倍积分。" * 4
    result = preview(session, config, shop.id, body, marketing=False, customer_id=customer.id)
    assert result.for_customer is not None and result.customer is customer
    expected = "【小满生活】" + body.replace("${nickname}", "tb_wang")
    assert result.for_customer.text == expected
    assert result.for_customer.parts == billed(len(expected)) == 2


def test_another_shops_customer_is_not_rendered(session: Session, config: Config, shop: Shop,
                                                customer: Customer) -> None:
    other = Shop(name="别家", sms_signature="别家")
    session.add(other)
    session.flush()
    result = preview(session, config, other.id, "${nickname}", marketing=False, customer_id=customer.id)
    assert result.for_customer is None and result.customer is None


def test_the_cost_uses_the_channels_price(session: Session, config: Config, shop: Shop) -> None:
    assert channel_settings.save(session, config, "sms_mock", shop.id, {"price_per_part": "0.06"}) == []
    assert price_per_part(session, config, "sms_mock", shop.id) == Decimal("0.06")
    assert price_per_part(session, config, None, shop.id) == Decimal("0.045")
    result = preview(session, config, shop.id, "好" * 100, marketing=False, channel_name="sms_mock", recipients=1000)
    assert result.example is not None and result.example.parts == billed(len("【小满生活】") + 100) == 2
    assert result.cost == Decimal("120.00")


def test_an_unknown_variable_is_the_previews_error(session: Session, config: Config, shop: Shop) -> None:
    result = preview(session, config, shop.id, "您好${coupon}", marketing=True)
    assert result.error is not None and "${coupon}" in result.error and result.example is None


def test_customers_are_found_by_id_nick_or_mobile_digits(session: Session, shop: Shop, customer: Customer) -> None:
    assert find_customers(session, shop.id, str(customer.id)) == [customer]
    assert find_customers(session, shop.id, f"#{customer.id}") == [customer]
    assert find_customers(session, shop.id, "tb_w") == [customer]
    assert find_customers(session, shop.id, "5678") == [customer]
    assert find_customers(session, shop.id, "nobody") == []
    assert find_customers(session, shop.id + 1, f"#{customer.id}") == []


def test_an_email_subject_is_filled_like_the_text_and_an_sms_has_none(session: Session, config: Config, shop: Shop,
                                                                      customer: Customer) -> None:
    email = preview(session, config, shop.id, "${nickname}您好", marketing=False, channel_name="email_smtp",
                    customer_id=customer.id, subject=" ${nickname}，您的订单已发货 ")
    assert email.subject_error is None
    assert (email.example_subject, email.customer_subject) == (f"{EXAMPLE_NICK}，您的订单已发货", "tb_wang，您的订单已发货")
    sms = preview(session, config, shop.id, "${nickname}您好", marketing=False, channel_name="sms_mock",
                  customer_id=customer.id, subject="${nickname}，您的订单已发货")
    assert (sms.example_subject, sms.customer_subject, sms.subject_error) == (None, None, None)


def test_a_subject_with_an_unknown_variable_is_named_and_the_text_still_previewed(
        session: Session, config: Config, shop: Shop) -> None:
    result = preview(session, config, shop.id, "${nickname}您好", marketing=False, channel_name="email_smtp",
                     subject="${coupon}到账")
    assert result.subject_error is not None and "${coupon}" in result.subject_error
    assert result.example_subject is None
    assert result.example is not None and result.example.text.startswith(EXAMPLE_NICK)
