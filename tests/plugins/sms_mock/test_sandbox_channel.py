"""The sandbox channel stores every submission and answers each status class reproducibly."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from shopcrm.registry import get_registry
from shopcrm_sms_mock.behaviour import Behaviour
from shopcrm_sms_mock.channel import MockSmsChannel
from shopcrm_sms_mock.gateway import BUSINESS_LIMIT, ILLEGAL_NUMBER, NOT_FOUND, TRANSIENT, decide, duplicate_count
from shopcrm_sms_mock.models import Submission
from sms_mock_support import NO_LIMITS, NOW, message


def rows(session):
    session.rollback()  # a fresh snapshot: the channel writes through sessions of its own
    return {row.message_id: row for row in session.scalars(select(Submission))}


def test_the_channel_is_registered(config):
    channel = get_registry().channels["sms_mock"]
    assert isinstance(channel, MockSmsChannel)
    assert (channel.label, channel.kind, channel.max_batch) == ("短信沙箱", "sms", 100)


def test_accepted_messages_are_stored_durably(channel, session):
    sent = message(1, text="亲，您的包裹已发出")
    templated = message(2)
    templated = type(templated)(id=2, to="+86 139-0000-0002", text="验证码 1234",
                                template_code="SMS_001", params={"code": "1234"})
    results = channel.send_batch([sent, templated], {})
    assert [r.status for r in results] == ["accepted", "accepted"]
    assert all(r.gateway_id for r in results) and results[0].gateway_id != results[1].gateway_id
    stored = rows(session)
    assert stored[1].number == "13800000001" and stored[1].text == "亲，您的包裹已发出"
    assert stored[2].number == "13900000002"
    assert (stored[2].template_code, stored[2].template_params) == ("SMS_001", {"code": "1234"})
    assert stored[1].status == "accepted" and stored[1].gateway_id == results[0].gateway_id
    assert stored[1].submitted_at == NOW and stored[1].due_at == NOW + dt.timedelta(seconds=5)
    assert stored[1].receipt_at is None


def test_a_resend_of_the_same_outid_is_recognised_and_not_stored_twice(channel, session, clock):
    first = channel.send_batch([message(7)], {})[0]
    clock.advance(minutes=10)
    again = channel.send_batch([message(7), message(7)], {})
    assert [r.status for r in again] == ["accepted", "accepted"]
    assert {r.gateway_id for r in again} == {first.gateway_id}
    assert session.scalar(select(func.count()).select_from(Submission)) == 1
    assert rows(session)[7].submitted_at == NOW  # the first submission is kept as it was


def test_each_status_class_is_answered_deterministically(channel, session):
    shares = {"transient_percent": 25, "permanent_percent": 25, "unknown_percent": 25, **NO_LIMITS}
    batch = [message(i) for i in range(1, 81)]
    results = channel.send_batch(batch, shares)
    statuses = {r.status for r in results}
    assert statuses == {"accepted", "rejected", "retry", "unknown"}
    for result in results:
        if result.status == "retry":
            assert result.error_code == TRANSIENT
        if result.status == "rejected":
            assert result.error_code == ILLEGAL_NUMBER
        if result.status == "accepted":
            assert result.gateway_id
    behaviour = Behaviour(transient_percent=25, permanent_percent=25, unknown_percent=25)
    assert [decide(m, True, 0, behaviour).answer for m in batch] == results  # the same again
    reseeded = Behaviour(transient_percent=25, permanent_percent=25, unknown_percent=25, seed="another")
    assert [decide(m, True, 0, reseeded).answer.status for m in batch] != [r.status for r in results]


def test_a_transient_error_keeps_nothing_and_the_retry_is_drawn_anew(channel, session):
    assert channel.send_batch([message(3)], {"transient_percent": 100})[0].status == "retry"
    lost = channel.query([message(3)], {})[0]
    assert (lost.status, lost.error_code) == ("retry", NOT_FOUND)
    retried = channel.send_batch([message(3)], {"transient_percent": 0})[0]
    assert retried.status == "accepted"
    stored = rows(session)[3]
    assert (stored.status, stored.attempts) == ("accepted", 2)
    assert session.scalar(select(func.count()).select_from(Submission)) == 1


def test_a_permanent_error_is_final(channel, session):
    result = channel.send_batch([message(4)], {"permanent_percent": 100})[0]
    assert (result.status, result.error_code) == ("rejected", ILLEGAL_NUMBER)
    assert channel.send_batch([message(4)], {"permanent_percent": 0})[0].status == "rejected"
    assert rows(session)[4].status == "rejected"


def test_invalid_numbers_are_rejected(channel, session):
    bad = [message(1, to="1380000"), message(2, to="02112345678"), message(3, to="12812345678"),
           message(4, to="138000000001")]
    results = channel.send_batch(bad + [message(5, to="13812345678")], {})
    assert [r.status for r in results] == ["rejected"] * 4 + ["accepted"]
    assert {r.error_code for r in results[:4]} == {ILLEGAL_NUMBER}
    assert rows(session)[1].status == "rejected"


def test_per_number_limits_as_the_business_limit(channel, session, clock):
    number = "13912345678"
    first, second = channel.send_batch([message(1, number), message(2, number)], {})
    assert first.status == "accepted"
    assert (second.status, second.error_code) == ("rejected", BUSINESS_LIMIT)
    statuses = []
    for i in range(3, 12):  # one a minute is allowed; five in the hour
        clock.advance(minutes=1, seconds=1)
        statuses.append(channel.send_batch([message(i, number)], {})[0].status)
    assert statuses == ["accepted"] * 4 + ["rejected"] * 5
    accepted = 5
    for i in range(20, 30):  # ten in the day
        clock.advance(hours=1, minutes=1)
        accepted += channel.send_batch([message(i, number)], {})[0].status == "accepted"
    assert accepted == 10
    clock.advance(days=1)
    assert channel.send_batch([message(40, number)], {})[0].status == "accepted"
    assert channel.send_batch([message(41, "13700000000")], {})[0].status == "accepted"  # other numbers
    limited = [r for r in rows(session).values() if r.error_code == BUSINESS_LIMIT]
    assert limited and all(r.status == "rejected" for r in limited)


def test_limits_can_be_switched_off(channel):
    results = channel.send_batch([message(i, "13912345678") for i in range(1, 21)], NO_LIMITS)
    assert {r.status for r in results} == {"accepted"}


def test_unknown_outcomes_and_query_tells_the_truth(channel, session):
    batch = [message(i) for i in range(1, 41)]
    results = channel.send_batch(batch, {"unknown_percent": 100})
    assert {r.status for r in results} == {"unknown"}
    stored = rows(session)
    kept = {m for m, row in stored.items() if row.status == "accepted"}
    lost = {m for m, row in stored.items() if row.status == "dropped"}
    assert kept and lost and kept | lost == set(range(1, 41))
    answers = channel.query(batch, {})
    for answer in answers:
        if answer.message_id in kept:
            assert answer.status == "accepted" and answer.gateway_id == stored[answer.message_id].gateway_id
        else:
            assert (answer.status, answer.error_code) == ("retry", NOT_FOUND)  # safe to send again
    assert channel.query(batch, {}) == answers  # reproducible
    never_received = channel.query([message(999)], {})[0]
    assert (never_received.status, never_received.error_code) == ("retry", NOT_FOUND)


def test_query_reports_delivered_and_rejected_messages(channel, session):
    channel.send_batch([message(1), message(2, to="123")], {})
    session.execute(Submission.__table__.update().where(Submission.message_id == 1).values(status="delivered"))
    session.commit()
    delivered, refused = channel.query([message(1), message(2)], {})
    assert delivered.status == "accepted" and delivered.gateway_id
    assert (refused.status, refused.error_code) == ("rejected", ILLEGAL_NUMBER)


def test_saved_settings_apply_and_call_settings_override_them(channel, session):
    from shopcrm_sms_mock import behaviour

    behaviour.save(session, Behaviour(permanent_percent=100))
    session.commit()
    assert channel.send_batch([message(1)], {})[0].status == "rejected"
    assert channel.send_batch([message(2)], {"permanent_percent": 0})[0].status == "accepted"


def statements_of(config, run):
    """The SQL statements ``run()`` sends to the database, as (kind, executemany) pairs; a bulk
    write (COPY or executemany straight on the driver: shopcrm.bulk) as ("BULK", its rows)."""
    from sqlalchemy import event

    from shopcrm import bulk
    from shopcrm.db import get_engine

    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[0].upper(), executemany))

    original = bulk.write

    def bulk_write(conn, table, columns, rows):
        rows = list(rows)
        seen.append(("BULK", len(rows)))
        return original(conn, table, columns, rows)

    engine = get_engine(config)
    event.listen(engine, "before_cursor_execute", record)
    bulk.write = bulk_write
    try:
        run()
    finally:
        bulk.write = original
        event.remove(engine, "before_cursor_execute", record)
    return [s for s in seen if s[0] in ("SELECT", "INSERT", "UPDATE", "BULK")]


def test_a_batch_is_a_fixed_handful_of_statements(config, channel, session):
    batch = [message(i) for i in range(1, 101)]
    no_limits = statements_of(config, lambda: channel.send_batch(batch, NO_LIMITS))
    assert no_limits == [("SELECT", False), ("SELECT", False), ("BULK", 100)]  # settings, known rows, rows
    limited = statements_of(config, lambda: channel.send_batch([message(i) for i in range(101, 201)], {}))
    assert limited == [("SELECT", False), ("SELECT", False), ("SELECT", False), ("BULK", 100)]
    assert session.scalar(select(func.count()).select_from(Submission)) == 200
    shares = {"transient_percent": 50, **NO_LIMITS}
    mixed = [message(i) for i in range(201, 301)]
    dropped = [m for m, r in zip(mixed, channel.send_batch(mixed, shares)) if r.status == "retry"]
    assert dropped
    session.rollback()
    again = statements_of(config, lambda: channel.send_batch(dropped + batch[:1], shares))
    assert [kind for kind, _ in again] == ["SELECT", "SELECT", "UPDATE", "UPDATE"]
    assert again[2][1] == (len(dropped) > 1)  # the re-tried dropped rows at once, then the duplicate's count
    assert duplicate_count(session) == 1


def test_an_outid_retried_within_one_batch_is_answered_as_in_separate_batches(channel, session):
    from shopcrm_sms_mock.behaviour import draw

    shares = {"transient_percent": 50, **NO_LIMITS}
    flaky = next(i for i in range(1, 1000)
                 if draw("shopcrm", i, "outcome", 0) < 50 <= draw("shopcrm", i, "outcome", 1))
    first, second, third = channel.send_batch([message(flaky)] * 3, shares)
    assert first.status == "retry"
    assert second.status == "accepted" and third == second
    stored = rows(session)[flaky]
    assert (stored.status, stored.attempts, stored.resends, stored.gateway_id) == (
        "accepted", 2, 1, second.gateway_id)
    assert stored.due_at == NOW + dt.timedelta(seconds=5) and stored.receipt_at is None


def test_a_retried_dropped_row_is_decided_anew_and_keeps_its_row(channel, session, clock):
    channel.send_batch([message(3, text="第一次")], {"transient_percent": 100})
    row_id = session.scalar(select(Submission.id).where(Submission.message_id == 3))
    session.rollback()
    clock.advance(minutes=2)
    retried = channel.send_batch([message(3, text="第二次")], {})[0]
    stored = rows(session)[3]
    assert (stored.id, stored.status, stored.attempts, stored.text) == (row_id, "accepted", 2, "第二次")
    assert stored.gateway_id == retried.gateway_id and stored.error_code is None
    assert stored.submitted_at == clock.now and stored.due_at == clock.now + dt.timedelta(seconds=5)


def test_numbers_are_normalised_as_the_core_normalises_them():
    from shopcrm.mobiles import normalise_mobile
    from shopcrm_sms_mock.gateway import _number

    for raw in ("13812345678", "19912345678", "12812345678", "1381234567", "138123456789", "+86 138 1234 5678",
                "008613812345678", "13812345678.0", "１３８１２３４５６７８", "²3812345678", "", "abc"):
        number, valid = normalise_mobile(raw)
        assert _number(raw) == ((number or raw)[:32], valid), raw
