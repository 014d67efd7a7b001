"""The lifecycle plugin's care messages: each fires on its own event only, with its default
Chinese template and delay, and is dropped when the order has moved on by the time it is due."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from shopcrm import outbox
from shopcrm.automations import fire, run_daily
from shopcrm.config import Config
from shopcrm.db import session_scope, utcnow
from shopcrm.models import Customer, Review
from shopcrm.registry import get_registry
from shopcrm.shop_alerts import set_alert_phone
from shopcrm.sources import OrderStatus
from shopcrm.triggers import ReviewEvent
from automation_support import T0, event, ingest, make_care_shop, messages, record, switch_on

S = OrderStatus
MINUTE = dt.timedelta(minutes=1)
KINDS = ("order.created", "order.paid", "order.shipped", "order.signed", "order.closed", "order.refunded",
         "order.arrived")

ORDER_TRIGGERS = {  # trigger: (the order's status, the event it fires on, status before, default delay)
    "unpaid_reminder": (S.PENDING_PAYMENT, "order.created", None, dt.timedelta(minutes=30)),
    "unpaid_reminder_soft": (S.PENDING_PAYMENT, "order.created", None, dt.timedelta(hours=6)),
    "paid_thanks": (S.PAID, "order.paid", S.PENDING_PAYMENT, dt.timedelta(0)),
    "order_closed": (S.CLOSED, "order.closed", S.PENDING_PAYMENT, dt.timedelta(minutes=10)),
    "shipped": (S.SHIPPED, "order.shipped", S.PAID, dt.timedelta(0)),
    "shipping_delayed": (S.PAID, "order.paid", S.PENDING_PAYMENT, dt.timedelta(hours=48)),
    "arrived": (S.SHIPPED, "order.arrived", S.SHIPPED, dt.timedelta(0)),
    "signed": (S.SIGNED, "order.signed", S.SHIPPED, dt.timedelta(hours=2)),
    "refund_done": (S.REFUNDED, "order.refunded", S.PAID, dt.timedelta(0)),
}


def _times(status: OrderStatus) -> dict[str, dt.datetime]:
    rank = {S.PENDING_PAYMENT: 0, S.PAID: 1, S.SHIPPED: 2, S.SIGNED: 3, S.COMPLETED: 4}
    times = {}
    if status in (S.REFUNDED, S.CLOSED):
        times["closed_at"] = T0
        if status == S.REFUNDED:
            times["paid_at"] = T0 - MINUTE
        return times
    for name, level in (("paid_at", 1), ("shipped_at", 2), ("signed_at", 3)):
        if rank[status] >= level:
            times[name] = T0
    return times


def test_every_trigger_is_registered_with_a_template_that_renders() -> None:
    triggers = get_registry().triggers
    assert set(ORDER_TRIGGERS) | {"birthday", "repurchase", "bad_review"} <= set(triggers.by_plugin("lifecycle"))
    for name, (_, _, _, delay) in ORDER_TRIGGERS.items():
        assert triggers[name].default_delay == delay
        assert triggers[name].marketing is False
    assert triggers["birthday"].marketing and triggers["repurchase"].marketing


@pytest.mark.parametrize("name", sorted(ORDER_TRIGGERS))
def test_an_order_trigger_fires_on_its_event_and_on_no_other(config: Config, name: str) -> None:
    status, kind, previous, delay = ORDER_TRIGGERS[name]
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, name)
    ingest(config, shop_id, record("A1", status, **_times(status)))
    for other in KINDS:
        if other == kind or (other == "order.created" and status != S.PENDING_PAYMENT):
            continue  # a new order first seen in a status counts as that status's event too
        fire(config, event(config, "A1", other, previous, T0), now=T0)
    assert messages(config) == []
    fire(config, event(config, "A1", kind, previous, T0), now=T0)
    [message] = messages(config)
    assert message.status == "pending" and message.send_after == T0 + delay
    assert message.text.startswith("【小店】亲") and "${" not in message.text and "拒收" not in message.text
    assert outbox.send_due(config, now=T0 + delay + MINUTE).sent == 1


@pytest.mark.parametrize("name, moved_on", [
    ("unpaid_reminder_soft", S.CLOSED), ("order_closed", S.PAID), ("shipping_delayed", S.SHIPPED),
    ("signed", S.COMPLETED), ("shipped", S.SIGNED), ("arrived", S.SIGNED),
])
def test_a_message_about_a_state_the_order_left_before_it_was_due_is_dropped(config: Config, name: str,
                                                                              moved_on: OrderStatus) -> None:
    status, kind, previous, delay = ORDER_TRIGGERS[name]
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, name)
    ingest(config, shop_id, record("A1", status, **_times(status)))
    fire(config, event(config, "A1", kind, previous, T0), now=T0)
    ingest(config, shop_id, record("A1", moved_on, **{**_times(moved_on), **_times(status)}))
    assert outbox.send_due(config, now=T0 + delay + MINUTE).skipped == 1
    assert messages(config)[0].skip_reason == "no_longer_applies"


def test_texts_name_the_order_its_items_amount_and_refund(config: Config) -> None:
    shop_id = make_care_shop(config)
    for name in ("paid_thanks", "refund_done", "arrived"):
        switch_on(config, shop_id, name)
    ingest(config, shop_id, record("3712893019283746", S.PAID, paid_at=T0), record("R1", S.REFUNDED, nick="b2",
                                                                                  mobile="13800000002", **_times(S.REFUNDED)))
    with session_scope(config) as session:
        session.execute(update(Customer).where(Customer.platform_id == "buyer1").values(city="杭州市"))
    fire(config, event(config, "3712893019283746", "order.paid", S.PENDING_PAYMENT, T0), now=T0)
    fire(config, event(config, "R1", "order.refunded", S.PAID, T0), now=T0)
    ingest(config, shop_id, record("3712893019283746", S.SHIPPED, paid_at=T0, shipped_at=T0))
    fire(config, event(config, "3712893019283746", "order.arrived", S.SHIPPED, T0), now=T0)
    texts = {m.to: m.text for m in messages(config, "paid_thanks")}
    assert texts["13800000001"] == "【小店】亲，您在关怀店的订单3712893019283746已付款成功，我们会尽快为您发货，感谢您的支持！"
    assert "已退款128.00元" in messages(config, "refund_done")[0].text
    assert "您的包裹已到达杭州市" in messages(config, "arrived")[0].text


def test_the_shipped_notice_names_the_courier_and_waybill_when_the_source_gives_them(config: Config) -> None:
    import dataclasses

    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "shipped")
    with_parcel = dataclasses.replace(record("A1", S.SHIPPED, paid_at=T0, shipped_at=T0), carrier="中通快递",
                                      tracking_number="73512345678901")
    ingest(config, shop_id, with_parcel, record("B1", S.SHIPPED, nick="b2", mobile="13800000002", paid_at=T0,
                                                shipped_at=T0))
    for oid in ("A1", "B1"):
        fire(config, event(config, oid, "order.shipped", S.PAID, T0), now=T0)
    texts = {m.to: m.text for m in messages(config, "shipped")}
    assert texts == {
        "13800000001": "【小店】亲，您购买的连衣裙已经发货啦（中通快递 73512345678901），请留意物流信息，期待您收到后喜欢~",
        "13800000002": "【小店】亲，您购买的连衣裙已经发货啦，请留意物流信息，期待您收到后喜欢~",
    }


def _birthdays(config: Config, shop_id: int, people: dict[str, dt.date | None]) -> None:
    ingest(config, shop_id, *(record(f"O{i}", S.PAID, nick=nick, mobile=f"1380000{i:04d}", paid_at=T0 - dt.timedelta(days=200))
                              for i, nick in enumerate(people)))
    with session_scope(config) as session:
        for nick, birthday in people.items():
            session.execute(update(Customer).where(Customer.platform_id == nick).values(birthday=birthday))


def test_birthday_greets_those_born_today_in_shop_time_once_a_year(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "birthday")
    # T0 + 17 h is 05:00 on 21 November in Shanghai, still the 20th in UTC
    now = T0 + dt.timedelta(hours=17)
    _birthdays(config, shop_id, {"today": dt.date(1990, 11, 21), "yesterday": dt.date(1990, 11, 20), "none": None})
    fired = run_daily(config, shop_id, now=now)
    assert fired.pending == 1
    [greeting] = messages(config, "birthday")
    assert greeting.to == "13800000000" and greeting.is_marketing
    assert greeting.dedupe_key.endswith(":2026") and greeting.text.endswith("拒收请回复R")
    assert "您是我们的" in greeting.text and "积分" in greeting.text  # membership is installed: tier and points
    assert run_daily(config, shop_id, now=now + dt.timedelta(hours=1)).pending == 0  # a retried daily job


def test_birthday_on_29_february_is_greeted_on_the_28th_in_other_years(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "birthday", at=dt.datetime(2027, 2, 27))
    _birthdays(config, shop_id, {"leap": dt.date(2000, 2, 29), "other": dt.date(2000, 3, 1)})
    assert run_daily(config, shop_id, now=dt.datetime(2027, 2, 28, 4, 0)).pending == 1


def test_repurchase_invites_back_n_days_after_the_last_purchase_unless_they_bought_again(config: Config) -> None:
    now = utcnow()  # still_applies asks about the real present: "bought again since?"
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "repurchase", at=now - dt.timedelta(hours=1), days=10)
    ten_days = now - dt.timedelta(days=10)
    ingest(config, shop_id, record("A", S.PAID, created=ten_days, nick="a", mobile="13800000001", paid_at=ten_days),
           record("B", S.PAID, created=ten_days - dt.timedelta(days=1), nick="b", mobile="13800000002",
                  paid_at=ten_days - dt.timedelta(days=1)),
           record("C", S.PAID, created=ten_days, nick="c", mobile="13800000003", paid_at=ten_days))
    assert run_daily(config, shop_id, now=now).pending == 2
    assert {m.to for m in messages(config)} == {"13800000001", "13800000003"}
    assert all(m.dedupe_key.endswith((ten_days + dt.timedelta(hours=8)).date().isoformat()) for m in messages(config))
    assert run_daily(config, shop_id, now=now + MINUTE).pending == 0
    ingest(config, shop_id, record("C2", S.PAID, created=now, nick="c", mobile="13800000003", paid_at=now))
    outcome = outbox.send_due(config, now=now + 2 * MINUTE)
    assert (outcome.sent, outcome.skipped) == (1, 1)


def _review(config: Config, shop_id: int, bad: bool, number: str) -> ReviewEvent:
    with session_scope(config) as session:
        customer = session.scalar(select(Customer).where(Customer.platform_id == "buyer1"))
        assert customer is not None
        review = Review(shop_id=shop_id, customer_id=customer.id, platform_review_id=number, rating=1 if bad else 5,
                        is_bad=bad, content="质量差" if bad else "很好", created_at=T0)
        session.add(review)
        session.flush()
        return ReviewEvent("review.created", shop_id, review.id, customer.id, None, T0)


def test_a_bad_review_alerts_the_shopkeepers_phone_not_the_buyer(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "bad_review")
    ingest(config, shop_id, record("A1", S.COMPLETED, paid_at=T0, shipped_at=T0, signed_at=T0))
    fire(config, _review(config, shop_id, bad=False, number="r1"), now=T0)
    assert messages(config) == []
    fire(config, _review(config, shop_id, bad=True, number="r2"), now=T0)
    [unset] = messages(config)
    assert unset.skip_reason == "invalid_number"  # no alert phone yet: nobody to tell
    with session_scope(config) as session:
        set_alert_phone(session, shop_id, "139 0000 1111")
    fire(config, _review(config, shop_id, bad=True, number="r3"), now=T0)
    alert = messages(config)[-1]
    assert (alert.to, alert.status) == ("13900001111", "pending")
    assert alert.text == "【小店】差评提醒：买家buyer1对订单给了差评，请尽快联系处理。"


def test_a_daily_trigger_over_a_whole_shop_takes_a_few_statements_however_many_customers(config: Config) -> None:
    from sqlalchemy import event as sa_event

    from shopcrm.db import get_engine

    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "birthday")
    people = {f"p{i}": dt.date(1990, 11, 20) for i in range(300)}
    _birthdays(config, shop_id, people)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = get_engine(config)
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        assert run_daily(config, shop_id, now=T0).pending == 300
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    assert len(statements) < 40, statements
    texts = {m.text for m in messages(config)}
    assert len(texts) == 300 and all("p" in text and "生日快乐" in text for text in texts)
