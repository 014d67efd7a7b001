"""The automation engine: fresh events fire switched-on triggers once, through the outbox, and
what no longer applies when the delay is over is not sent."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from shopcrm import outbox, sending_policy
from shopcrm.automation_store import disable
from shopcrm.automations import event_kinds, fire, fire_many, run_daily
from shopcrm.config import Config
from shopcrm.db import session_scope
from shopcrm.models import Customer, Message, Order
from shopcrm.opt_outs import opt_out
from shopcrm.sources import OrderStatus
from shopcrm_sms_mock.models import Submission
from automation_support import (NIGHT, T0, event, ingest, make_care_shop, messages, record, switch_on)

S = OrderStatus
MINUTE = dt.timedelta(minutes=1)


def submissions(config: Config) -> list[Submission]:
    with session_scope(config) as session:
        return list(session.scalars(select(Submission).order_by(Submission.id)))


def test_an_event_writes_one_message_rendered_now_and_due_after_the_delay(config: Config) -> None:
    shop_id = make_care_shop(config)
    automation_id = switch_on(config, shop_id, "unpaid_reminder")
    ingest(config, shop_id, record("A1", S.PENDING_PAYMENT))
    fired = fire(config, event(config, "A1", "order.created", None, T0), now=T0 + MINUTE)
    assert fired.pending == 1
    [message] = messages(config)
    assert (message.automation_id, message.dedupe_key, message.status) == (automation_id, f"order:{message.order_id}",
                                                                             "pending")
    assert message.to == "13800000001" and message.is_marketing is False
    assert message.text == "【小店】亲，您在关怀店拍下的连衣裙还没有付款哦，库存有限，付款后我们马上为您安排发货~"
    assert message.send_after == T0 + dt.timedelta(minutes=30)
    assert outbox.send_due(config, now=T0 + 29 * MINUTE).claimed == 0  # not before the delay
    assert outbox.send_due(config, now=T0 + 31 * MINUTE).sent == 1
    assert [s.text for s in submissions(config)] == [message.text]


def test_replayed_events_and_retried_writes_add_nothing(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "paid_thanks")
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0))
    paid = event(config, "A1", "order.paid", S.PENDING_PAYMENT, T0)
    assert fire(config, paid, now=T0).pending == 1
    assert fire(config, paid, now=T0 + MINUTE).pending == 0
    outbox.send_due(config, now=T0 + 2 * MINUTE)
    assert fire(config, paid, now=T0 + 3 * MINUTE).pending == 0  # after it was sent, too
    assert len(messages(config)) == 1 and len(submissions(config)) == 1


def test_events_before_the_switch_on_or_outside_the_freshness_window_fire_nothing(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "paid_thanks", at=T0 + dt.timedelta(hours=1))
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0), record("A2", S.PAID, paid_at=T0, nick="b2"))
    assert fire(config, event(config, "A1", "order.paid", S.PENDING_PAYMENT, T0), now=T0 + 2 * MINUTE).pending == 0
    later = T0 + dt.timedelta(hours=2)
    stale = event(config, "A2", "order.paid", S.PENDING_PAYMENT, later)
    assert fire(config, stale, now=later + dt.timedelta(hours=25)).pending == 0  # more than 24 hours old
    switch_on(config, shop_id, "paid_thanks", fresh_hours=48)
    assert fire(config, stale, now=later + dt.timedelta(hours=25)).pending == 1
    assert len(messages(config)) == 1


def test_a_new_order_first_seen_paid_counts_as_paid_too() -> None:
    from shopcrm.sources import OrderEvent

    created_paid = OrderEvent("order.created", 1, 1, 1, S.PAID, None, T0)
    assert event_kinds(created_paid) == {"order.created", "order.paid"}
    assert event_kinds(OrderEvent("order.created", 1, 1, 1, S.PENDING_PAYMENT, None, T0)) == {"order.created"}


def test_an_order_paid_meanwhile_gets_no_reminder(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "unpaid_reminder")
    ingest(config, shop_id, record("A1", S.PENDING_PAYMENT))
    fire(config, event(config, "A1", "order.created", None, T0), now=T0)
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0 + 10 * MINUTE))
    outcome = outbox.send_due(config, now=T0 + 31 * MINUTE)
    assert (outcome.claimed, outcome.sent, outcome.skipped) == (1, 0, 1)
    [message] = messages(config)
    assert (message.status, message.skip_reason) == ("skipped", "no_longer_applies")
    assert submissions(config) == []


def test_out_of_order_and_replayed_events_never_message_about_a_state_the_order_has_left(config: Config) -> None:
    shop_id = make_care_shop(config)
    for name in ("unpaid_reminder", "paid_thanks", "shipped"):
        switch_on(config, shop_id, name)
    ingest(config, shop_id, record("A1", S.PENDING_PAYMENT))
    created = event(config, "A1", "order.created", None, T0)
    fire(config, created, now=T0)
    # shipped arrives before paid
    ingest(config, shop_id, record("A1", S.SHIPPED, paid_at=T0 + MINUTE, shipped_at=T0 + 5 * MINUTE))
    fire(config, event(config, "A1", "order.shipped", S.PENDING_PAYMENT, T0 + 5 * MINUTE), now=T0 + 5 * MINUTE)
    # then the late paid: the order goes back to paid in the data, but it has been shipped
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0 + MINUTE))
    fire(config, event(config, "A1", "order.paid", S.SHIPPED, T0 + 6 * MINUTE), now=T0 + 6 * MINUTE)
    # and an old paid event replayed once the order is shipped again
    ingest(config, shop_id, record("A1", S.SHIPPED, paid_at=T0 + MINUTE, shipped_at=T0 + 5 * MINUTE))
    fire(config, event(config, "A1", "order.paid", S.PENDING_PAYMENT, T0 + MINUTE, status=S.PAID), now=T0 + 7 * MINUTE)
    fire(config, created, now=T0 + 8 * MINUTE)  # the creation replayed
    assert messages(config, "paid_thanks") == []
    assert len(messages(config, "shipped")) == 1
    outbox.send_due(config, now=T0 + 40 * MINUTE)
    [reminder] = messages(config, "unpaid_reminder")
    assert reminder.skip_reason == "no_longer_applies"
    assert [s.text for s in submissions(config)] == ["【小店】亲，您购买的连衣裙已经发货啦，请留意物流信息，期待您收到后喜欢~"]


def test_opted_out_and_unreachable_customers_are_written_skipped(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "paid_thanks")
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0, nick="out", mobile="13800000001"),
           record("A2", S.PAID, paid_at=T0, nick="bad", mobile="12345"),
           record("A3", S.PAID, paid_at=T0, nick="ok", mobile="13800000003"))
    with session_scope(config) as session:
        opt_out(session, shop_id, "sms_mock", "13800000001", "reply")
    for oid in ("A1", "A2", "A3"):
        fire(config, event(config, oid, "order.paid", S.PENDING_PAYMENT, T0), now=T0)
    by_to = {m.to: (m.status, m.skip_reason) for m in messages(config)}
    assert by_to == {"13800000001": ("skipped", "opted_out"), "12345": ("skipped", "invalid_number"),
                     "13800000003": ("pending", None)}


def test_a_number_opted_out_after_the_message_was_written_is_not_sent(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "unpaid_reminder")
    ingest(config, shop_id, record("A1", S.PENDING_PAYMENT))
    fire(config, event(config, "A1", "order.created", None, T0), now=T0)
    with session_scope(config) as session:
        opt_out(session, shop_id, "sms_mock", "13800000001", "reply")
    outbox.send_due(config, now=T0 + 31 * MINUTE)
    assert messages(config)[0].skip_reason == "opted_out" and submissions(config) == []


def _marketing_sent_to(config: Config, shop_id: int, nick: str, at: dt.datetime) -> None:
    with session_scope(config) as session:
        customer = session.scalar(select(Customer).where(Customer.platform_id == nick))
        assert customer is not None
        session.add(Message(shop_id=shop_id, customer_id=customer.id, channel="sms_mock", to=customer.mobile or "",
                            text="上新", is_marketing=True, status="sent", created_at=at, updated_at=at))


def test_notifications_bypass_the_frequency_cap_and_marketing_obeys_it(config: Config) -> None:
    shop_id = make_care_shop(config)
    with session_scope(config) as session:
        sending_policy.save(session, shop_id, {"frequency_cap": 1, "frequency_days": 7})
    switch_on(config, shop_id, "shipped")
    switch_on(config, shop_id, "repurchase", days=30)
    ingest(config, shop_id, record("A1", S.SHIPPED, created=T0 - dt.timedelta(days=30), paid_at=T0 - dt.timedelta(days=30),
                                   shipped_at=T0))
    _marketing_sent_to(config, shop_id, "buyer1", T0 - dt.timedelta(days=2))
    fire(config, event(config, "A1", "order.shipped", S.PAID, T0), now=T0)
    run_daily(config, shop_id, now=T0)
    assert messages(config, "shipped")[0].status == "pending"
    [nudge] = messages(config, "repurchase")
    assert (nudge.status, nudge.skip_reason, nudge.is_marketing) == ("skipped", "frequency_cap", True)


def test_notifications_wait_for_the_morning_unless_the_automation_sends_at_night(config: Config) -> None:
    shop_id = make_care_shop(config, quiet=True)  # 21:00 to 08:00
    switch_on(config, shop_id, "paid_thanks")
    switch_on(config, shop_id, "shipped", night="send")
    ingest(config, shop_id, record("A1", S.PAID, paid_at=NIGHT), record("A2", S.SHIPPED, nick="b2", mobile="13800000002",
                                                                         paid_at=NIGHT, shipped_at=NIGHT))
    fire(config, event(config, "A1", "order.paid", S.PENDING_PAYMENT, NIGHT), now=NIGHT)
    fire(config, event(config, "A2", "order.shipped", S.PAID, NIGHT), now=NIGHT)
    morning = dt.datetime(2026, 11, 21, 0, 0)  # 08:00 in Shanghai
    assert messages(config, "paid_thanks")[0].send_after == morning
    assert messages(config, "shipped")[0].send_after == NIGHT
    assert outbox.send_due(config, now=NIGHT + MINUTE).sent == 1


def test_a_notification_claimed_in_the_quiet_hours_is_put_back_until_they_end(config: Config) -> None:
    shop_id = make_care_shop(config, quiet=True)
    switch_on(config, shop_id, "paid_thanks")
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0))
    fire(config, event(config, "A1", "order.paid", S.PENDING_PAYMENT, T0), now=T0)
    outcome = outbox.send_due(config, now=NIGHT)  # due since noon, claimed at 22:00 (a backlog, say)
    assert (outcome.deferred, outcome.sent) == (1, 0)
    assert messages(config)[0].send_after == dt.datetime(2026, 11, 21, 0, 0)


def test_switching_off_cancels_what_is_waiting(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "unpaid_reminder")
    ingest(config, shop_id, record("A1", S.PENDING_PAYMENT))
    fire(config, event(config, "A1", "order.created", None, T0), now=T0)
    with session_scope(config) as session:
        state = disable(session, shop_id, "unpaid_reminder")
    assert state.enabled is False
    assert messages(config)[0].skip_reason == "cancelled"
    assert fire(config, event(config, "A1", "order.created", None, T0), now=T0).pending == 0


def test_switching_on_again_fires_only_on_events_after_that(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "paid_thanks", at=T0 - dt.timedelta(hours=3))
    with session_scope(config) as session:
        disable(session, shop_id, "paid_thanks")
    switch_on(config, shop_id, "paid_thanks", at=T0 + MINUTE)
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0))
    assert fire(config, event(config, "A1", "order.paid", S.PENDING_PAYMENT, T0), now=T0 + 2 * MINUTE).pending == 0


def test_an_order_event_from_ingestion_reaches_the_engine(config: Config) -> None:
    from shopcrm.db import utcnow

    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "unpaid_reminder", delay="0s", at=utcnow() - MINUTE)
    ingest(config, shop_id, record("A1", S.PENDING_PAYMENT, created=utcnow()))
    [message] = messages(config)
    assert message.status == "pending"
    assert outbox.send_due(config, now=utcnow() + MINUTE).sent == 1


def test_an_ingested_batch_fires_its_events_together_each_due_at_its_own_time(config: Config) -> None:
    from sqlalchemy import event as sa_event

    from shopcrm.db import get_engine, utcnow

    shop_id = make_care_shop(config)
    now = utcnow().replace(microsecond=0)
    switch_on(config, shop_id, "paid_thanks", delay="5m", at=now - dt.timedelta(hours=1))
    switch_on(config, shop_id, "shipped", delay="0s", at=now - dt.timedelta(hours=1))
    paid = {f"A{n}": now - (4 - n) * MINUTE for n in (1, 2, 3)}
    records = [record(oid, S.PAID, created=at, nick=f"b{oid}", mobile=f"1380000000{oid[1]}", paid_at=at)
               for oid, at in paid.items()]
    records.append(record("A4", S.SHIPPED, created=now - 9 * MINUTE, nick="bA4", mobile="13800000004",
                          paid_at=now - 9 * MINUTE, shipped_at=now - 8 * MINUTE))
    written: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO MESSAGE"):
            written.append(statement)

    engine = get_engine(config)
    sa_event.listen(engine, "before_cursor_execute", note)
    try:
        ingest(config, shop_id, *records)
    finally:
        sa_event.remove(engine, "before_cursor_execute", note)
    assert len(written) == 2  # one write per automation for the whole batch, not one per event
    with session_scope(config) as session:
        orders = {o.id: o.platform_order_id for o in session.scalars(select(Order))}
    thanks = {orders[m.order_id]: m.send_after for m in messages(config, "paid_thanks")}
    assert thanks == {oid: at + 5 * MINUTE for oid, at in paid.items()}
    [shipped] = messages(config, "shipped")
    # first seen shipped: one order.created event, of the order's creation
    assert (orders[shipped.order_id], shipped.send_after) == ("A4", now - 9 * MINUTE)
    assert {m.status for m in messages(config)} == {"pending"}


def test_events_fired_together_keep_one_message_per_order_the_first_event_s(config: Config) -> None:
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "paid_thanks", delay="1m")
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0), record("A2", S.PAID, nick="b2", paid_at=T0))
    first = event(config, "A1", "order.paid", S.PENDING_PAYMENT, T0)
    replayed = event(config, "A1", "order.paid", S.PENDING_PAYMENT, T0 + 5 * MINUTE)
    other = event(config, "A2", "order.paid", S.PENDING_PAYMENT, T0 + 2 * MINUTE)
    fired = fire_many(config, [first, replayed, other], now=T0 + 6 * MINUTE)
    assert (fired.pending, fired.written["paid_thanks"].due) == (2, {T0 + MINUTE: 1, T0 + 3 * MINUTE: 1})
    assert sorted(m.send_after for m in messages(config)) == [T0 + MINUTE, T0 + 3 * MINUTE]
    assert fire_many(config, [replayed, other], now=T0 + 7 * MINUTE).pending == 0


def test_a_failing_trigger_costs_only_its_own_messages(config: Config, monkeypatch) -> None:
    from shopcrm.registry import get_registry

    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "paid_thanks")
    switch_on(config, shop_id, "shipping_delayed")
    broken = get_registry().triggers["paid_thanks"]

    def explode(session, event):
        raise RuntimeError("boom")

    monkeypatch.setattr(broken, "targets", explode)
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0))
    fired = fire(config, event(config, "A1", "order.paid", S.PENDING_PAYMENT, T0), now=T0)
    assert set(fired.written) == {"shipping_delayed"}
    assert [m.dedupe_key for m in messages(config)] == [f"order:{messages(config)[0].order_id}"]


@pytest.mark.parametrize("change", [{"trigger": "uninstalled_plugin_trigger"}, {"enabled": False}],
                         ids=["trigger gone", "switched off meanwhile"])
def test_a_message_whose_trigger_is_gone_or_automation_is_off_is_not_sent(config: Config, change) -> None:
    from shopcrm.models import Automation

    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "paid_thanks")
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0))
    fire(config, event(config, "A1", "order.paid", S.PENDING_PAYMENT, T0), now=T0)
    with session_scope(config) as session:
        session.execute(update(Automation).values(**change))
    outbox.send_due(config, now=T0 + MINUTE)
    assert messages(config)[0].skip_reason == "no_longer_applies" and submissions(config) == []


def test_importing_a_year_of_orders_with_every_automation_on_messages_nobody(config: Config, tmp_path) -> None:
    import random
    from zoneinfo import ZoneInfo

    from shopcrm.db import utcnow
    from shopcrm.importing import create_import_run, run_import
    from shopcrm.registry import get_registry
    from shopcrm.shop_alerts import set_alert_phone
    from tests.files.test_source import TAOBAO_HEADER, write_csv

    shop_id = make_care_shop(config)
    with session_scope(config) as session:
        set_alert_phone(session, shop_id, "13900001111")
    for name in get_registry().triggers.items:
        switch_on(config, shop_id, name, at=utcnow())
    rng = random.Random(6)
    now_local = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)
    first, later = [], []
    statuses = ("等待买家付款", "买家已付款，等待卖家发货", "卖家已发货，等待买家确认", "交易成功", "交易关闭", "退款成功")
    for i in range(3000):
        created = now_local - dt.timedelta(minutes=rng.randint(1, 365 * 24 * 60))
        if i < 50:  # the last hours before the import, too
            created = now_local - dt.timedelta(minutes=rng.randint(1, 300))
        status = rng.choice(statuses)
        paid = "" if status in ("等待买家付款", "交易关闭") else (created + dt.timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S")
        row = [f"Y{i}", f"tb_{i % 900}", "0" if not paid else "99.00", status, "买家", "浙江省 杭州市 西湖区",
               f"138{i % 900:08d}", created.strftime("%Y-%m-%d %H:%M:%S"), paid, "保温杯", "1", "0"]
        first.append(row)
        moved = {"等待买家付款": "买家已付款，等待卖家发货", "买家已付款，等待卖家发货": "卖家已发货，等待买家确认",
                 "卖家已发货，等待买家确认": "交易成功"}.get(status)
        if moved:  # a later export: the order moved on, with no time for its new status
            paid_then = paid or (created + dt.timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S")
            later.append([*row[:2], "99.00", moved, *row[4:8], paid_then, *row[9:]])
    for name, rows in (("year.csv", first), ("later.csv", later), ("year.csv", first)):
        path = write_csv(tmp_path / name, TAOBAO_HEADER, rows)
        result = run_import(config, create_import_run(config, shop_id, "orders", {"path": str(path)}), relabel="skip")
        assert result["status"] == "finished" and result["errors"] == 0
    assert messages(config) == []
    assert outbox.send_due(config).claimed == 0
    assert submissions(config) == []


def test_daily_triggers_run_as_a_daily_job_that_adds_nothing_when_retried(config: Config) -> None:
    from shopcrm.automations import DAILY_HOUR, DAILY_JOB
    from shopcrm.db import utcnow
    from shopcrm.jobs import enqueue, wait_for
    from shopcrm.schedule import daily_jobs

    assert daily_jobs()[DAILY_JOB] == DAILY_HOUR
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "birthday", at=utcnow() - MINUTE)
    ingest(config, shop_id, record("A1", S.PAID, paid_at=T0))
    today = (utcnow() + dt.timedelta(hours=8)).date()  # Shanghai
    with session_scope(config) as session:
        session.execute(update(Customer).values(birthday=today.replace(year=1990) if (today.month, today.day) != (2, 29)
                                                else dt.date(1992, 2, 29)))
    for _ in range(2):
        result = wait_for(enqueue(DAILY_JOB, config, wait=True, shop_id=shop_id), config)
        assert result["status"] == "finished"
    assert len(messages(config, "birthday")) == 1


def test_with_redis_a_message_due_now_is_queued_and_a_later_one_scheduled(redis_url: str) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker
    from rq.registry import ScheduledJobRegistry

    from shopcrm import dispatch
    from shopcrm.config import load_config
    from shopcrm.db import utcnow

    config = load_config()
    shop_id = make_care_shop(config)
    now = utcnow()
    switch_on(config, shop_id, "paid_thanks", at=now - MINUTE)
    switch_on(config, shop_id, "shipping_delayed", at=now - MINUTE)
    ingest(config, shop_id, record("A1", S.PAID, created=now - MINUTE, paid_at=now - MINUTE))
    queue = dispatch.send_queue(config)
    assert queue.count == 1  # paid thanks, due at once (raised by the import itself)
    registry = ScheduledJobRegistry(queue=queue)
    [scheduled] = registry.get_job_ids()
    when = registry.get_scheduled_time(scheduled).replace(tzinfo=None)
    assert abs(when - (now - MINUTE + dt.timedelta(hours=48))) < dt.timedelta(seconds=5)
    connection = Redis.from_url(redis_url)
    SimpleWorker([Queue(dispatch.SEND_QUEUE, connection=connection)], connection=connection).work(burst=True)
    assert [m.status for m in messages(config, "paid_thanks")] == ["sent"]
    assert [m.status for m in messages(config, "shipping_delayed")] == ["pending"]


def test_with_redis_messages_due_within_one_second_share_one_wake_up(redis_url: str) -> None:
    from rq.registry import ScheduledJobRegistry

    from shopcrm import dispatch
    from shopcrm.config import load_config
    from shopcrm.db import utcnow

    config = load_config()
    shop_id = make_care_shop(config)
    now = utcnow().replace(microsecond=0)
    switch_on(config, shop_id, "unpaid_reminder", at=now - MINUTE)
    created = [now - MINUTE + dt.timedelta(microseconds=n) for n in (100, 200_000, 999_999)]
    ingest(config, shop_id, *[record(f"A{n}", S.PENDING_PAYMENT, created=at, nick=f"b{n}", mobile=f"1380000000{n}")
                              for n, at in enumerate(created)],
           record("B1", S.PENDING_PAYMENT, created=now, nick="later", mobile="13800000009"))
    assert len(messages(config, "unpaid_reminder")) == 4
    registry = ScheduledJobRegistry(queue=dispatch.send_queue(config))
    wakes = sorted(registry.get_scheduled_time(job_id).replace(tzinfo=None) for job_id in registry.get_job_ids())
    delay = dt.timedelta(minutes=30)
    assert wakes == [now - MINUTE + delay + dt.timedelta(seconds=1), now + delay]  # the three at the end of their second
