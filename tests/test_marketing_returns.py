"""Campaigns and automations of a period by return on cost: cost from billed parts and the
channel's price, sales from their own reports, best return first."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from shopcrm.marketing_returns import automations, campaigns
from shopcrm.models import Automation, Campaign, Customer, Message, Order, Shop
from shopcrm.registry import get_registry
from shopcrm.report_period import period

TZ = "Asia/Shanghai"
NOW = dt.datetime(2026, 11, 20, 4, 0)
SENT = dt.datetime(2026, 11, 16, 2, 0)
PRICE = Decimal("0.045")  # sms_mock's default price per part


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = Shop(name="回报店", timezone=TZ, sms_signature="回报店")
    session.add(shop)
    session.flush()
    return shop


class Sends:
    def __init__(self, session: Session, shop: Shop) -> None:
        self.session, self.shop, self.n = session, shop, 0

    def customer(self) -> Customer:
        self.n += 1
        made = Customer(shop_id=self.shop.id, platform_id=f"c{self.n}", mobile=f"1380000{self.n:04d}")
        self.session.add(made)
        self.session.flush()
        return made

    def message(self, who: Customer, parts: int, campaign: Campaign | None = None,
                automation: Automation | None = None, sent_at: dt.datetime = SENT) -> None:
        self.n += 1
        self.session.add(Message(
            shop_id=self.shop.id, customer_id=who.id, campaign_id=campaign.id if campaign else None,
            automation_id=automation.id if automation else None, dedupe_key=f"k{self.n}" if automation else None,
            channel="sms_mock", to=who.mobile, text="t", is_marketing=campaign is not None, status="delivered",
            parts=parts, gateway_id=f"g{self.n}", sent_at=sent_at, created_at=sent_at, updated_at=sent_at))

    def order(self, who: Customer, paid_at: dt.datetime, amount: str, status: str = "completed") -> None:
        self.n += 1
        self.session.add(Order(shop_id=self.shop.id, customer_id=who.id, platform_order_id=f"o{self.n}",
                               status=status, paid_amount=Decimal(amount), total_amount=Decimal(amount),
                               created_at=paid_at - dt.timedelta(minutes=5), paid_at=paid_at))


def campaign(session: Session, shop: Shop, name: str, started_at: dt.datetime) -> Campaign:
    made = Campaign(shop_id=shop.id, name=name, channel="sms_mock", text="上新", rules={"all": []},
                    status="done", started_at=started_at)
    session.add(made)
    session.flush()
    return made


def test_campaigns_of_the_period_sorted_by_return(config, session: Session, shop: Shop) -> None:
    sends = Sends(session, shop)
    good, poor, old = (campaign(session, shop, name, at) for name, at in
                       (("双十一预热", SENT), ("清仓", SENT + dt.timedelta(hours=1)),
                        ("去年", SENT - dt.timedelta(days=40))))
    a, b, c = sends.customer(), sends.customer(), sends.customer()
    sends.message(a, 2, campaign=good)
    sends.message(b, 2, campaign=good)
    sends.order(a, SENT + dt.timedelta(days=1), "90")
    sends.order(b, SENT + dt.timedelta(days=1), "500", status="refunded")  # does not count
    sends.message(c, 1, campaign=poor, sent_at=SENT + dt.timedelta(hours=1))
    sends.order(c, SENT + dt.timedelta(days=2), "9")
    sends.message(a, 1, campaign=old, sent_at=SENT - dt.timedelta(days=40))
    session.commit()
    found = campaigns(session, config, shop.id, period(TZ, "7d", now=NOW).window)
    assert [(r.name, r.sent, r.cost, r.sales) for r in found] == [
        ("双十一预热", 2, Decimal("0.18"), Decimal("90.00")),
        ("清仓", 1, Decimal("0.05"), Decimal("9.00")),  # 0.045 to the fen, halves up
    ]
    assert [r.roi for r in found] == [500.0, 180.0]


def test_automations_by_trigger_with_cost_and_recovered_amount(config, session: Session, shop: Shop) -> None:
    sends = Sends(session, shop)
    triggers = get_registry().triggers.items
    thanks = Automation(shop_id=shop.id, trigger="paid_thanks", enabled=True, channel="sms_mock", template_text="x")
    birthday = Automation(shop_id=shop.id, trigger="birthday", enabled=True, channel="sms_mock", template_text="x")
    session.add_all([thanks, birthday])
    session.flush()
    a, b = sends.customer(), sends.customer()
    for _ in range(10):
        sends.message(a, 2, automation=thanks)
    sends.order(a, SENT + dt.timedelta(days=1), "45")
    sends.message(b, 1, automation=birthday)
    sends.order(b, SENT + dt.timedelta(hours=3), "30")
    session.commit()
    chosen = period(TZ, "7d", now=NOW)
    found = automations(session, config, shop.id, chosen.window, chosen.days,
                        [triggers["paid_thanks"], triggers["birthday"], triggers["shipped"]])
    assert [(r.key, r.sent, r.cost, r.sales) for r in found] == [
        ("birthday", 1, Decimal("0.05"), Decimal("30.00")),
        ("paid_thanks", 10, Decimal("0.90"), Decimal("45.00")),
    ]
    assert [r.roi for r in found] == [600.0, 50.0]
    assert found[0].name == str(triggers["birthday"].label)
