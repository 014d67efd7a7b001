"""What the campaign pages read from the core besides :mod:`shopcrm.campaigns` itself: the list
of campaigns with their counts (:mod:`shopcrm.campaign_overview`) and a message's preview and
cost before sending (:mod:`shopcrm.campaign_estimate`)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from shopcrm.campaign_estimate import estimate_message
from shopcrm.campaign_overview import overview
from shopcrm.campaigns import create
from shopcrm.config import Config
from shopcrm.db import utcnow
from shopcrm.models import Customer, Message, Shop
from shopcrm.sending_policy import save as save_policy
from shopcrm.shops import default_shop


def signed_shop(session: Session) -> Shop:
    shop = default_shop(session)
    shop.sms_signature = "测试店"
    session.flush()
    return shop


def test_the_overview_counts_each_campaigns_target_and_what_the_gateway_accepted(session: Session) -> None:
    shop = signed_shop(session)
    customers = [Customer(shop_id=shop.id, identity=f"c{i}", platform_id=f"c{i}") for i in range(5)]
    session.add_all(customers)
    first = create(session, shop.id, "第一场", "sms_mock", "您好", rules={"all": []})
    second = create(session, shop.id, "第二场", "sms_mock", "您好", rules={"all": []})
    other_shop = Shop(name="别的店")
    session.add(other_shop)
    session.flush()
    create(session, other_shop.id, "别家的", "sms_mock", "您好", rules={"all": []})
    statuses = ["sent", "delivered", "failed", "skipped", "pending"]
    for customer, status in zip(customers, statuses):
        session.add(Message(shop_id=shop.id, customer_id=customer.id, campaign_id=first.id, channel="sms_mock",
                            to="13800000000", text="", status=status, send_after=utcnow(),
                            gateway_id="g" if status in ("delivered", "failed") else None))
    session.flush()

    rows = overview(session, shop.id)
    assert [(row.campaign.name, row.target, row.sent) for row in rows] == [("第二场", 0, 0), ("第一场", 5, 3)]
    assert overview(session, shop.id, limit=1)[0].campaign.id == second.id


def test_the_estimate_composes_the_sms_and_prices_it_for_the_audience(session: Session, config: Config) -> None:
    shop = signed_shop(session)
    found = estimate_message(session, config, shop.id, "sms_mock", "${name}您好，双十一全场五折", 1000)
    assert found.preview == "【测试店】张伟您好，双十一全场五折 拒收请回复R"
    assert (found.characters, found.parts, found.recipients) == (len(found.preview), 1, 1000)
    assert found.price_per_part == Decimal("0.045") and found.cost == Decimal("45.00")
    assert found.error is None and found.unknown == ()

    save_policy(session, shop.id, {"opt_out_text": "回T退订"})
    long = estimate_message(session, config, shop.id, "sms_mock", "好" * 70, 10)
    assert long.preview.endswith("回T退订") and long.parts == 2 and long.cost == Decimal("0.90")


def test_the_estimate_names_unknown_variables_instead_of_raising(session: Session, config: Config) -> None:
    shop = signed_shop(session)
    found = estimate_message(session, config, shop.id, "sms_mock", "${name}领取${coupon}，${gift}", 3)
    assert found.unknown == ("coupon", "gift")
    assert found.error is not None and "${coupon}" in found.error
    assert found.preview == "【测试店】张伟领取， 拒收请回复R"
    broken = estimate_message(session, config, shop.id, "sms_mock", "您好${name", 3)
    assert broken.unknown == () and broken.error is not None and "not closed" in broken.error
