"""The automations' figures: sent, delivered, payment reminders' recoveries and the others'
attributed buyers and sales, checked against the same figures counted here in Python from the
rows the tests wrote."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from shopcrm import sending_policy
from shopcrm.automation_report import figures, recovers_payment, sent_by_day
from shopcrm.models import Automation, Customer, Message, Order, Shop
from shopcrm.registry import get_registry

NOW = dt.datetime(2026, 11, 28, 4, 0)
"""Noon in Shanghai, naive UTC."""
PAID = ("paid", "shipped", "signed", "completed")
ACCEPTED = ("sent", "delivered")


@dataclass(slots=True)
class Row:
    trigger: str
    customer: int
    order: int | None
    status: str
    sent_at: dt.datetime | None
    created_at: dt.datetime
    gateway_id: str | None = "g"


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = Shop(name="报表店", sms_signature="小店")
    session.add(shop)
    session.flush()
    return shop


def automation(session: Session, shop: Shop, trigger: str) -> Automation:
    made = Automation(shop_id=shop.id, trigger=trigger, enabled=True, enabled_at=NOW - dt.timedelta(days=60),
                      channel="sms_mock", template_text="x", options={})
    session.add(made)
    session.flush()
    return made


def customer(session: Session, shop: Shop, n: int) -> Customer:
    made = Customer(shop_id=shop.id, identity=f"c{n}", platform_id=f"c{n}", mobile=f"1380000{n:04d}")
    session.add(made)
    session.flush()
    return made


def order(session: Session, shop: Shop, who: Customer, oid: str, status: str, created: dt.datetime,
          paid_at: dt.datetime | None = None, amount: str = "100", refund: str = "0") -> Order:
    made = Order(shop_id=shop.id, customer_id=who.id, platform_order_id=oid, status=status, created_at=created,
                 paid_at=paid_at, total_amount=Decimal(amount), paid_amount=Decimal(amount) if paid_at else Decimal(0),
                 refund_amount=Decimal(refund))
    session.add(made)
    session.flush()
    return made


def message(session: Session, shop: Shop, made: Automation, who: Customer, about: Order | None, status: str,
            sent_at: dt.datetime | None, created_at: dt.datetime | None = None, gateway_id: str | None = "g",
            key: str | None = None) -> Message:
    row = Message(shop_id=shop.id, automation_id=made.id, customer_id=who.id, order_id=about.id if about else None,
                  dedupe_key=key or f"k{random.random()}", channel="sms_mock", to=who.mobile or "", text="t",
                  is_marketing=False, status=status, sent_at=sent_at, created_at=created_at or sent_at or NOW,
                  updated_at=NOW, gateway_id=gateway_id if status in ("sent", "delivered", "failed") else None)
    session.add(row)
    session.flush()
    return row


def registered(*names: str) -> list[Any]:
    triggers = get_registry().triggers.items
    return [triggers[name] for name in names]


def test_unpaid_reminders_measure_recovery_and_the_others_attribution(config):
    kinds = {t.name: recovers_payment(t) for t in get_registry().triggers.items.values()}
    assert kinds["unpaid_reminder"] and kinds["unpaid_reminder_soft"]
    assert not any(recovered for name, recovered in kinds.items() if not name.startswith("unpaid_reminder"))


def test_a_reminded_order_paid_after_its_reminder_is_recovered(config, session, shop):
    reminder = automation(session, shop, "unpaid_reminder")
    buyer, other, late = (customer(session, shop, n) for n in (1, 2, 3))
    sent = NOW - dt.timedelta(days=2)
    paid_after = order(session, shop, buyer, "o1", "paid", sent - dt.timedelta(minutes=30),
                       paid_at=sent + dt.timedelta(minutes=5), amount="128.50")
    never_paid = order(session, shop, other, "o2", "closed", sent - dt.timedelta(minutes=30))
    paid_before = order(session, shop, late, "o3", "paid", sent - dt.timedelta(minutes=30),
                        paid_at=sent - dt.timedelta(minutes=1))
    for who, about in ((buyer, paid_after), (other, never_paid), (late, paid_before)):
        message(session, shop, reminder, who, about, "delivered", sent)
    result = figures(session, shop.id, registered("unpaid_reminder"), 7, NOW)["unpaid_reminder"]
    assert (result.sent, result.delivered, result.reminded, result.recovered) == (3, 3, 3, 1)
    assert result.recovered_amount == Decimal("128.50")
    assert result.recovery_rate == pytest.approx(1 / 3, abs=1e-4)
    assert result.recovery


def test_refunded_skipped_unsent_and_old_messages_do_not_count(config, session, shop):
    reminder = automation(session, shop, "unpaid_reminder")
    a, b, c, d = (customer(session, shop, n) for n in (1, 2, 3, 4))
    sent = NOW - dt.timedelta(days=1)
    refunded = order(session, shop, a, "o1", "refunded", sent, paid_at=sent + dt.timedelta(minutes=1))
    message(session, shop, reminder, a, refunded, "sent", sent)
    message(session, shop, reminder, b, order(session, shop, b, "o2", "paid", sent, sent + dt.timedelta(hours=1)),
            "skipped", None, created_at=sent, key="skipped")
    message(session, shop, reminder, c, order(session, shop, c, "o3", "paid", sent, sent + dt.timedelta(hours=1)),
            "failed", sent, gateway_id=None, key="refused")
    old = NOW - dt.timedelta(days=8)
    message(session, shop, reminder, d, order(session, shop, d, "o4", "paid", old, old + dt.timedelta(hours=1)),
            "delivered", old)
    week = figures(session, shop.id, registered("unpaid_reminder"), 7, NOW)["unpaid_reminder"]
    month = figures(session, shop.id, registered("unpaid_reminder"), 30, NOW)["unpaid_reminder"]
    assert (week.sent, week.delivered, week.reminded, week.recovered) == (1, 0, 1, 0)
    assert (month.sent, month.delivered, month.reminded, month.recovered) == (2, 1, 2, 1)


def test_an_order_after_two_messages_counts_once_and_only_within_the_window(config, session, shop):
    sending_policy.save(session, shop.id, {"attribution_days": 3})
    thanks = automation(session, shop, "paid_thanks")
    buyer, slow = customer(session, shop, 1), customer(session, shop, 2)
    first, second = NOW - dt.timedelta(days=5), NOW - dt.timedelta(days=4)
    message(session, shop, thanks, buyer, None, "delivered", first)
    message(session, shop, thanks, buyer, None, "delivered", second)
    order(session, shop, buyer, "again", "shipped", second, second + dt.timedelta(days=1), amount="90", refund="10")
    message(session, shop, thanks, slow, None, "sent", first)
    order(session, shop, slow, "too-late", "paid", first, first + dt.timedelta(days=3, minutes=1))
    order(session, shop, slow, "before", "paid", first, first - dt.timedelta(minutes=1))
    result = figures(session, shop.id, registered("paid_thanks", "unpaid_reminder"), 7, NOW)
    assert (result["paid_thanks"].buyers, result["paid_thanks"].sales) == (1, Decimal("80.00"))
    assert result["paid_thanks"].sent == 3 and not result["paid_thanks"].recovery
    assert result["unpaid_reminder"].sent == 0 and result["unpaid_reminder"].recovery_rate is None


def test_other_shops_messages_do_not_count(config, session, shop):
    other = Shop(name="别家", sms_signature="别家")
    session.add(other)
    session.flush()
    theirs = automation(session, other, "paid_thanks")
    who = customer(session, other, 9)
    message(session, other, theirs, who, None, "delivered", NOW - dt.timedelta(days=1))
    assert figures(session, shop.id, registered("paid_thanks"), 7, NOW)["paid_thanks"].sent == 0
    assert figures(session, other.id, registered("paid_thanks"), 7, NOW)["paid_thanks"].sent == 1


def expected(rows: list[Row], orders: dict[int, dict[str, Any]], days: int, attribution: int,
             recovery: set[str]) -> dict[str, dict[str, Any]]:
    """The figures counted row by row."""
    since = NOW - dt.timedelta(days=days)
    found: dict[str, dict[str, Any]] = {}
    chosen = [r for r in rows if (r.status in ACCEPTED or (r.status == "failed" and r.gateway_id))
              and since <= (r.sent_at or r.created_at) < NOW]
    for name in {r.trigger for r in rows}:
        mine = [r for r in chosen if r.trigger == name]
        out: dict[str, Any] = {"sent": len(mine), "delivered": sum(r.status == "delivered" for r in mine)}
        if name in recovery:
            first: dict[int, dt.datetime] = {}
            for r in mine:
                if r.order is not None:
                    moment = r.sent_at or r.created_at
                    first[r.order] = min(first.get(r.order, moment), moment)
            won = [o for o, moment in first.items() if orders[o]["status"] in PAID and orders[o]["paid_at"]
                   and orders[o]["paid_at"] >= moment]
            out.update(reminded=len(first), recovered=len(won),
                       recovered_amount=sum((orders[o]["paid"] - orders[o]["refund"] for o in won), Decimal(0)))
        else:
            attributed: dict[int, dict[str, Any]] = {}
            for r in mine:
                start = r.sent_at or r.created_at
                for oid, o in orders.items():
                    if (o["customer"] == r.customer and o["status"] in PAID and o["paid_at"] is not None
                            and start <= o["paid_at"] < start + dt.timedelta(days=attribution)):
                        attributed[oid] = o
            out.update(buyers=len({o["customer"] for o in attributed.values()}),
                       sales=sum((o["paid"] - o["refund"] for o in attributed.values()), Decimal(0)))
        found[name] = out
    return found


@pytest.mark.parametrize("days", [7, 30])
def test_figures_agree_with_counting_each_row(config, session, shop, days):
    rng = random.Random(20261128)
    sending_policy.save(session, shop.id, {"attribution_days": 5})
    names = ("unpaid_reminder", "unpaid_reminder_soft", "paid_thanks", "shipped", "repurchase")
    made = {name: automation(session, shop, name) for name in names}
    people = [customer(session, shop, n) for n in range(40)]
    orders: dict[int, dict[str, Any]] = {}
    by_customer: dict[int, list[Order]] = {}
    for n in range(160):
        who = rng.choice(people)
        created = NOW - dt.timedelta(minutes=rng.randrange(0, 45 * 24 * 60))
        status = rng.choice(["pending_payment", "paid", "shipped", "signed", "completed", "closed", "refunded"])
        paid_at = (created + dt.timedelta(minutes=rng.randrange(1, 3 * 24 * 60))
                   if status not in ("pending_payment", "closed") else None)
        amount = Decimal(rng.randrange(1000, 50000)) / 100
        refund = amount if status == "refunded" else Decimal(rng.choice([0, 0, 0, 5]))
        row = order(session, shop, who, f"o{n}", status, created, paid_at, str(amount), str(refund))
        orders[row.id] = {"customer": who.id, "status": status, "paid_at": paid_at, "paid": row.paid_amount,
                          "refund": row.refund_amount}
        by_customer.setdefault(who.id, []).append(row)
    rows: list[Row] = []
    for n in range(300):
        name = rng.choice(names)
        who = rng.choice(people)
        about = rng.choice(by_customer[who.id]) if who.id in by_customer and name != "repurchase" else None
        status = rng.choice(["pending", "sent", "delivered", "delivered", "failed", "skipped"])
        created = NOW - dt.timedelta(minutes=rng.randrange(0, 40 * 24 * 60))
        sent_at = created + dt.timedelta(seconds=rng.randrange(0, 600)) if status in ("sent", "delivered", "failed") \
            else None
        if sent_at is not None and rng.random() < 0.1:
            sent_at = None  # a sent row without its send time: its creation counts
        gateway = None if status == "failed" and rng.random() < 0.5 else "g"
        message(session, shop, made[name], who, about, status, sent_at, created, gateway, key=f"m{n}")
        rows.append(Row(name, who.id, about.id if about else None, status, sent_at, created, gateway))
    recovery = {"unpaid_reminder", "unpaid_reminder_soft"}
    want = expected(rows, orders, days, 5, recovery)
    got = figures(session, shop.id, registered(*names), days, NOW)
    for name in names:
        result = got[name]
        assert result.sent == want[name]["sent"], name
        assert result.delivered == want[name]["delivered"], name
        if name in recovery:
            assert (result.reminded, result.recovered, result.recovered_amount) == (
                want[name]["reminded"], want[name]["recovered"], want[name]["recovered_amount"]), name
        else:
            assert (result.buyers, result.sales) == (want[name]["buyers"], want[name]["sales"]), name
    assert sum(want[name]["sent"] for name in names) > 0


def test_sent_by_day_counts_shop_days(config, session, shop):
    thanks = automation(session, shop, "paid_thanks")
    who = customer(session, shop, 1)
    # 23:30 in Shanghai two days ago, and 00:30 the day after: two different shop days.
    late = dt.datetime(2026, 11, 25, 15, 30)
    early = dt.datetime(2026, 11, 25, 16, 30)
    message(session, shop, thanks, who, None, "delivered", late)
    message(session, shop, thanks, who, None, "sent", early)
    message(session, shop, thanks, who, None, "skipped", None, created_at=early)
    days = sent_by_day(session, shop.id, 7, "Asia/Shanghai", NOW)
    assert len(days) == 7 and days[-1]["date"] == dt.date(2026, 11, 28)
    counts = {d["date"]: (d["sent"], d["delivered"]) for d in days if d["sent"]}
    assert counts == {dt.date(2026, 11, 25): (1, 1), dt.date(2026, 11, 26): (1, 0)}
