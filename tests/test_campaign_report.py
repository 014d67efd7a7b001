"""A campaign's report: every figure worked out by hand from a small campaign with known outbox
rows and orders, on both databases."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from shopcrm import sending_policy
from shopcrm.campaign_report import by_day, report
from shopcrm.models import Campaign, Customer, Message, Order, Shop

START = dt.datetime(2026, 11, 20, 2, 0, 0)
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
PRICE = Decimal("0.045")  # the channel's default price per part


@pytest.fixture
def shop(session) -> Shop:
    shop = Shop(name="报表店")
    session.add(shop)
    session.flush()
    return shop


class Builder:
    def __init__(self, session, shop: Shop, campaign: Campaign) -> None:
        self.session, self.shop, self.campaign = session, shop, campaign
        self.n = 0

    def customer(self) -> Customer:
        self.n += 1
        customer = Customer(shop_id=self.shop.id, platform_id=f"c{self.n}", mobile=f"1381234{self.n:04d}",
                            sms_reachable=True)
        self.session.add(customer)
        self.session.flush()
        return customer

    def message(self, status: str, parts: int = 1, sent_at: dt.datetime | None = None, reason: str | None = None,
                gateway: bool | None = None, campaign: Campaign | None = None,
                customer: Customer | None = None) -> Customer:
        customer = customer or self.customer()
        accepted = gateway if gateway is not None else status in ("sent", "delivered", "sending")
        self.session.add(Message(
            shop_id=self.shop.id, customer_id=customer.id, campaign_id=(campaign or self.campaign).id,
            channel="sms_mock", to=customer.mobile, text="上新", is_marketing=True, status=status, skip_reason=reason,
            parts=parts, gateway_id=f"gw{customer.id}" if accepted else None, sent_at=sent_at,
            delivered_at=sent_at + HOUR if status == "delivered" else None, created_at=START, updated_at=START))
        return customer

    def order(self, customer: Customer, paid_at: dt.datetime, paid: str, status: str = "completed",
              refund: str = "0") -> None:
        self.n += 1
        self.session.add(Order(shop_id=self.shop.id, customer_id=customer.id, platform_order_id=f"o{self.n}",
                               status=status, paid_amount=Decimal(paid), refund_amount=Decimal(refund),
                               total_amount=Decimal(paid), created_at=paid_at - HOUR, paid_at=paid_at))


def make_campaign(session, shop: Shop, started_at: dt.datetime | None = START) -> Campaign:
    campaign = Campaign(shop_id=shop.id, name="秋冬上新", channel="sms_mock", text="上新", rules={"all": []},
                        control_share=0.2, status="sending" if started_at else "draft", started_at=started_at)
    session.add(campaign)
    session.flush()
    return campaign


def test_report_counts_money_rates_and_lift(config, session, shop):
    campaign = make_campaign(session, shop)
    other = make_campaign(session, shop)
    b = Builder(session, shop, campaign)

    # Accepted by the gateway: five, 8 parts between them.
    a = b.message("delivered", parts=3, sent_at=START + HOUR)
    b.order(a, START + HOUR + 2 * DAY, "100.00")                    # day 2: counts
    b.order(a, START + HOUR + 3 * DAY + HOUR, "50.00", refund="20.00")  # day 3, partly refunded: 30 counts
    b.order(a, START - DAY, "999.00")                               # before the send: no
    bee = b.message("delivered", parts=1, sent_at=START + 2 * HOUR)
    b.order(bee, START + 2 * HOUR + 7 * DAY, "70.00")                 # the window's end: no
    b.order(bee, START + 2 * HOUR + 8 * DAY, "70.00")                 # after the window: no
    b.order(bee, START + 2 * HOUR + DAY, "70.00", status="refunded", refund="70.00")
    b.order(bee, START + 2 * HOUR + DAY, "0", status="closed")
    c = b.message("sent", parts=2, sent_at=START + HOUR)             # no receipt came back
    b.order(c, START + 30 * dt.timedelta(minutes=1), "45.50")       # paid before its message went out: no
    b.order(c, START + HOUR + 6 * DAY + 23 * HOUR, "45.50")          # day 6, just inside the window
    b.message("failed", parts=1, sent_at=START + HOUR, gateway=True)       # accepted, then undelivered
    b.message("delivered", parts=1, sent_at=START + 3 * HOUR)               # delivered, bought nothing
    # Refused by the gateway: not sent, not billed, its buyer not counted.
    e = b.message("failed", parts=4, sent_at=None, gateway=False)
    b.order(e, START + DAY, "300.00")
    # Left out.
    b.message("skipped", reason="opted_out")
    b.message("skipped", reason="frequency_cap")
    b.message("skipped", reason="frequency_cap")
    b.message("skipped", reason="invalid_number")
    # The control group: five held out, one of whom bought within the window from the start.
    k1 = b.message("skipped", reason="control_group")
    b.order(k1, START + DAY, "80.00")
    b.order(k1, START - HOUR, "80.00")                               # before the campaign: no
    k2 = b.message("skipped", reason="control_group")
    b.order(k2, START + 7 * DAY + HOUR, "60.00")                      # after the window: no
    k3 = b.message("skipped", reason="control_group")
    b.order(k3, START + 2 * DAY, "60.00", status="refunded", refund="60.00")
    b.message("skipped", reason="control_group")
    b.message("skipped", reason="control_group")
    # Still to go.
    b.message("pending")
    b.message("sending", sent_at=None)
    # Another campaign's recipient and purchase: none of it belongs to this one.
    stranger = b.message("delivered", parts=5, sent_at=START, campaign=other)
    b.order(stranger, START + DAY, "500.00")
    session.commit()

    figures = report(session, config, campaign)

    sent, delivered, parts = 5, 3, 3 + 1 + 2 + 1 + 1
    buyers, orders, sales = 2, 3, Decimal("100.00") + Decimal("30.00") + Decimal("45.50")
    cost = PRICE * parts
    control, control_buyers, control_sales = 5, 1, Decimal("80.00")
    assert figures["id"] == campaign.id and figures["attribution_days"] == 7
    assert figures["target"] == 5 + 1 + 4 + 5 + 2
    assert figures["excluded"] == {"frequency_cap": 2, "invalid_number": 1, "opted_out": 1}
    assert figures["control"] == control
    assert figures["sent"] == sent
    assert figures["delivered"] == delivered
    assert figures["failed"] == 2
    assert figures["pending"] == 2
    assert figures["billed_parts"] == parts
    assert figures["cost"] == pytest.approx(float(cost))
    assert figures["buyers"] == buyers
    assert figures["orders"] == orders
    assert figures["sales"] == pytest.approx(float(sales))
    assert figures["aov"] == pytest.approx(float(sales / orders), abs=0.005)
    delivered_buyers = 1  # a's message was delivered; c's receipt has not come back
    assert figures["response_rate"] == pytest.approx(delivered_buyers / delivered, abs=1e-4)
    assert figures["conversion_rate"] == pytest.approx(buyers / sent, abs=1e-4)
    assert figures["roi"] == pytest.approx(float(sales / cost), abs=0.01)
    assert figures["control_buyer_rate"] == pytest.approx(control_buyers / control, abs=1e-4)
    control_rate = control_buyers / control
    assert figures["lift"] == pytest.approx((buyers / sent - control_rate) / control_rate, abs=1e-3)
    assert figures["incremental_sales"] == pytest.approx(float(sales - control_sales / control * sent), abs=0.01)

    days = by_day(session, campaign)
    assert [row["day"] for row in days] == list(range(7))
    assert {row["day"]: (row["buyers"], row["sales"]) for row in days} == {
        0: (0, 0), 1: (0, 0), 2: (1, 100.0), 3: (1, 30.0), 4: (0, 0), 5: (0, 0), 6: (1, 45.5)}


def test_report_follows_the_shops_attribution_window(config, session, shop):
    assert sending_policy.save(session, shop.id, {"attribution_days": 3})[1] == []
    campaign = make_campaign(session, shop)
    b = Builder(session, shop, campaign)
    early = b.message("delivered", sent_at=START)
    b.order(early, START + 2 * DAY, "10.00")
    late = b.message("delivered", sent_at=START)
    b.order(late, START + 4 * DAY, "20.00")
    held = b.message("skipped", reason="control_group")
    b.order(held, START + 5 * DAY, "40.00")
    session.commit()

    figures = report(session, config, campaign)
    assert figures["attribution_days"] == 3
    assert (figures["buyers"], figures["orders"], figures["sales"]) == (1, 1, 10.0)
    assert figures["control_buyer_rate"] == 0.0
    assert figures["lift"] is None  # no base to compare with
    assert figures["incremental_sales"] == pytest.approx(10.0)
    assert [(row["day"], row["buyers"], row["sales"]) for row in by_day(session, campaign)] == [
        (0, 0, 0), (1, 0, 0), (2, 1, 10.0)]


def test_rates_without_a_base_are_none(config, session, shop):
    campaign = make_campaign(session, shop, started_at=None)
    b = Builder(session, shop, campaign)
    b.message("skipped", reason="opted_out")
    b.message("pending")
    session.commit()

    figures = report(session, config, campaign)
    assert figures["target"] == 2 and figures["sent"] == 0 and figures["control"] == 0
    assert (figures["cost"], figures["buyers"], figures["orders"], figures["sales"]) == (0.0, 0, 0, 0.0)
    for name in ("aov", "response_rate", "conversion_rate", "roi", "control_buyer_rate", "lift",
                 "incremental_sales"):
        assert figures[name] is None, name
    assert all(row["buyers"] == 0 and row["sales"] == 0 for row in by_day(session, campaign))


def test_the_cost_is_priced_as_the_editor_estimated_it_when_the_channel_is_gone(config, session, shop):
    campaign = make_campaign(session, shop)
    campaign.channel = "uninstalled_gateway"  # its plugin was removed after the send
    b = Builder(session, shop, campaign)
    b.message("delivered", parts=2, sent_at=START)
    b.message("sent", parts=1, sent_at=START)
    session.commit()
    cost = (PRICE * 3).quantize(Decimal("0.01"), ROUND_HALF_UP)  # three parts at the default price, to the fen
    assert report(session, config, campaign)["cost"] == float(cost)
