"""Receipts: due messages become delivered or failed once, and every plugin hears of it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shopcrm.jobs import enqueue, wait_for
from shopcrm.jobs.registry import job_kind_label
from shopcrm_sms_mock import behaviour
from shopcrm_sms_mock.behaviour import Behaviour
from shopcrm_sms_mock.events import raise_events
from shopcrm_sms_mock.jobs import RECEIPTS
from shopcrm_sms_mock.models import Submission
from shopcrm_sms_mock.receipts import UNDELIVERED, due_receipts
from sms_mock_support import NOW, message


def settle(session, at, **settings):
    events = due_receipts(session, Behaviour(**settings), at)
    session.commit()
    return events


def test_messages_are_delivered_once_the_delay_is_over(channel, session, events):
    accepted = channel.send_batch([message(1), message(2)], {})
    assert settle(session, NOW + dt.timedelta(seconds=4)) == []  # not yet: 5 seconds by default
    settled = settle(session, NOW + dt.timedelta(seconds=5))
    assert sorted((e.kind, e.message_id, e.gateway_id, e.mobile) for e in settled) == [
        ("delivered", 1, accepted[0].gateway_id, "13800000001"),
        ("delivered", 2, accepted[1].gateway_id, "13800000002")]
    assert all(e.channel == "sms_mock" for e in settled)
    assert settle(session, NOW + dt.timedelta(hours=1)) == []  # each receipt once; cheap when none is due
    session.expire_all()
    stored = session.scalars(select(Submission).order_by(Submission.message_id)).all()
    assert [(s.status, s.receipt_at) for s in stored] == [("delivered", NOW + dt.timedelta(seconds=5))] * 2


def test_a_share_of_receipts_fail(channel, session):
    channel.send_batch([message(i) for i in range(1, 5)], {})
    settled = settle(session, NOW + dt.timedelta(minutes=1), failed_percent=100)
    assert {(e.kind, e.error_code) for e in settled} == {("failed", UNDELIVERED)}
    assert len(settled) == 4


def test_rejected_and_lost_messages_get_no_receipt(channel, session):
    channel.send_batch([message(1, to="123"), message(2)], {"transient_percent": 100})
    assert settle(session, NOW + dt.timedelta(days=1)) == []


def test_the_job_settles_due_messages_and_raises_their_events(config, channel, session, events):
    behaviour.save(session, Behaviour(delay_seconds=0))
    session.commit()
    channel.send_batch([message(1), message(2)], {"delay_seconds": 0})  # due at the clock's NOW, long past
    run_id = enqueue(RECEIPTS, config=config, wait=True)
    status = wait_for(run_id, config)
    assert status["status"] == "finished" and status["result"] == {"delivered": 2, "failed": 0}
    raised = events()
    assert sorted((e["kind"], e["message_id"], e["channel"]) for e in raised) == [
        ("delivered", 1, "sms_mock"), ("delivered", 2, "sms_mock")]
    again = wait_for(enqueue(RECEIPTS, config=config, wait=True), config)
    assert again["result"] == {"delivered": 0, "failed": 0} and len(events()) == 2
    assert str(job_kind_label(RECEIPTS)) != RECEIPTS  # the job has a label of its own


def test_raise_events_calls_every_plugin(config, events):
    from shopcrm.channels import MessageEvent

    assert raise_events([MessageEvent(kind="replied", channel="sms_mock", mobile="13800000001", text="TD")]) == 1
    assert events() == [{"kind": "replied", "channel": "sms_mock", "message_id": None, "gateway_id": None,
                         "mobile": "13800000001", "text": "TD", "error_code": None}]


def test_due_messages_are_settled_oldest_first_a_chunk_at_a_time(channel, session, clock, monkeypatch):
    from shopcrm_sms_mock import receipts

    def no_draws(*args, **kwargs):
        raise AssertionError("no per-message draw when every receipt has the same outcome")

    monkeypatch.setattr(receipts, "draw", no_draws)
    for first in (1, 11, 21):
        channel.send_batch([message(i) for i in range(first, first + 10)], {"limit_per_minute": 0})
        clock.advance(seconds=1)
    later = NOW + dt.timedelta(minutes=1)
    firsts = due_receipts(session, Behaviour(), later, limit=15)
    assert sorted(e.message_id for e in firsts) == list(range(1, 16))
    session.commit()
    rest = due_receipts(session, Behaviour(failed_percent=100), later, limit=100)
    assert sorted(e.message_id for e in rest) == list(range(16, 31))
    assert {(e.kind, e.error_code) for e in rest} == {("failed", UNDELIVERED)}
    session.commit()
    assert due_receipts(session, Behaviour(), later) == []


def test_a_mixed_share_of_failed_receipts_follows_the_draw(channel, session):
    from shopcrm_sms_mock.behaviour import draw

    channel.send_batch([message(i) for i in range(1, 41)], {"limit_per_minute": 0})
    settled = settle(session, NOW + dt.timedelta(minutes=1), failed_percent=50)
    kinds = {e.message_id: e.kind for e in settled}
    assert set(kinds) == set(range(1, 41)) and set(kinds.values()) == {"delivered", "failed"}
    assert all((kind == "failed") == (draw("shopcrm", m, "receipt") < 50) for m, kind in kinds.items())


def test_the_job_settles_every_chunk_when_more_are_due_than_one_chunk(config, channel, session, events,
                                                                       monkeypatch):
    from shopcrm_sms_mock import receipts

    monkeypatch.setattr(receipts, "CHUNK", 4)
    channel.send_batch([message(i) for i in range(1, 11)], {"delay_seconds": 0, "limit_per_minute": 0})
    status = wait_for(enqueue(RECEIPTS, config=config, wait=True), config)
    assert status["result"] == {"delivered": 10, "failed": 0}
    assert sorted(e["message_id"] for e in events()) == list(range(1, 11))


def test_a_chunk_is_claimed_by_id_not_by_walking_every_accepted_message(config, channel, session):
    """On SQLite the claiming UPDATE must fetch rows by primary key; through the status index it
    would read every accepted message for each chunk (quadratic over a large campaign)."""
    import pytest
    from sqlalchemy import event

    from shopcrm.db import get_engine

    if not config.database_url.startswith("sqlite"):
        pytest.skip("a SQLite query plan")
    channel.send_batch([message(i) for i in range(1, 11)], {"limit_per_minute": 0})
    updates: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE"):
            updates.append((statement, parameters))

    engine = get_engine(config)
    event.listen(engine, "before_cursor_execute", record)
    try:
        for share in (0, 50):
            session.rollback()
            due_receipts(session, Behaviour(failed_percent=share), NOW + dt.timedelta(minutes=1), limit=4)
            session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert updates
    for statement, parameters in updates:
        plan = [row[3] for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        assert "PRIMARY KEY" in plan[0], plan
