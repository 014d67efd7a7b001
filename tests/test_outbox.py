"""The outbox: claimed, sent, recorded and reconciled so that every recipient gets one message."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shopcrm import campaigns, outbox
from shopcrm.channels import MessageEvent, OutgoingMessage
from shopcrm.config import Config
from shopcrm.db import session_scope
from shopcrm.models import Campaign, Message
from shopcrm.opt_outs import opt_out
from shopcrm.registry import get_registry
from sending_support import EVERYONE, ScriptedChannel, make_shop, mobiles, scripted  # noqa: F401

NOON = dt.datetime(2026, 11, 20, 4, 0)  # 12:00 in Shanghai: not quiet hours
NIGHT = dt.datetime(2026, 11, 20, 14, 0)  # 22:00 in Shanghai


def start(config: Config, numbers: list[str | None], text: str = "${nickname}您好，新品上架", now: dt.datetime = NOON,
          control: float = 0.0) -> tuple[int, int]:
    """A shop with a customer per number and a started campaign to all of them."""
    with session_scope(config) as session:
        shop_id, _ = make_shop(session, numbers, quiet_hours=True)  # the tests give the time
        campaign = campaigns.create(session, shop_id, "上新", "scripted", text, rules=EVERYONE, control_share=control)
        campaign_id = campaign.id
    campaigns.begin(config, campaign_id, now)
    return shop_id, campaign_id


def rows(config: Config, campaign_id: int) -> dict[str, Message]:
    with session_scope(config) as session:
        return {m.to: m for m in session.scalars(select(Message).where(Message.campaign_id == campaign_id))}


def test_a_batch_is_sent_in_channel_sized_chunks_with_each_customers_text(config: Config,
                                                                           scripted: ScriptedChannel) -> None:
    numbers = mobiles(5)
    _, campaign_id = start(config, numbers)
    outcome = outbox.send_due(config, now=NOON)
    assert (outcome.claimed, outcome.sent) == (5, 5)
    sent = scripted.calls()
    assert sorted(c["to"] for c in sent) == numbers
    assert len({tuple(sorted(c["id"] for c in sent[i:i + 3])) for i in (0, 3)}) == 2  # chunks of max_batch 3
    by_number = rows(config, campaign_id)
    for i, number in enumerate(numbers):
        message = by_number[number]
        assert message.status == "sent" and message.gateway_id == f"gw-{message.id}" and message.attempts == 1
        assert message.text == f"【小店】buyer{i}您好，新品上架 拒收请回复R" and message.parts == 1
    assert outbox.send_due(config, now=NOON).claimed == 0  # nothing is sent twice


def test_nothing_is_claimed_before_it_is_due(config: Config, scripted: ScriptedChannel) -> None:
    start(config, mobiles(2))
    assert outbox.send_due(config, now=NOON - dt.timedelta(seconds=1)).claimed == 0
    assert scripted.calls() == []


def test_a_transient_error_is_retried_after_a_back_off(config: Config, scripted: ScriptedChannel) -> None:
    number = mobiles(1)[0]
    scripted.script({number: ["retry", "accepted"]})
    _, campaign_id = start(config, [number])
    first = outbox.send_due(config, now=NOON)
    assert first.retry == 1 and first.wake_at == NOON + outbox.backoff(1)
    message = rows(config, campaign_id)[number]
    assert (message.status, message.attempts, message.error_code) == ("pending", 1, "E_retry")
    assert outbox.send_due(config, now=NOON + dt.timedelta(seconds=1)).claimed == 0  # still backing off
    assert outbox.send_due(config, now=first.wake_at).sent == 1
    message = rows(config, campaign_id)[number]
    assert (message.status, message.attempts, message.error_code) == ("sent", 2, None)


def test_retries_end_as_failed_after_max_attempts(config: Config, scripted: ScriptedChannel) -> None:
    number = mobiles(1)[0]
    scripted.script({number: ["retry"]})
    _, campaign_id = start(config, [number])
    now = NOON
    for _ in range(outbox.MAX_ATTEMPTS):
        outcome = outbox.send_due(config, now=now)
        assert outcome.claimed == 1
        now = outcome.wake_at or now
    message = rows(config, campaign_id)[number]
    assert message.status == "failed" and message.attempts == outbox.MAX_ATTEMPTS
    assert "gave up after" in (message.error or "")
    assert len(scripted.calls()) == outbox.MAX_ATTEMPTS


def test_a_refusal_is_final(config: Config, scripted: ScriptedChannel) -> None:
    number = mobiles(1)[0]
    scripted.script({number: ["rejected"]})
    _, campaign_id = start(config, [number])
    assert outbox.send_due(config, now=NOON).failed == 1
    assert outbox.send_due(config, now=NOON + dt.timedelta(hours=1)).claimed == 0
    assert rows(config, campaign_id)[number].status == "failed"
    assert len(scripted.calls()) == 1


def test_an_unknown_outcome_is_asked_about_never_resent_blindly(config: Config, scripted: ScriptedChannel) -> None:
    kept, lost = mobiles(2)
    scripted.script({kept: ["unknown_kept"], lost: ["unknown", "accepted"]})
    _, campaign_id = start(config, [kept, lost])
    outcome = outbox.send_due(config, now=NOON)
    assert outcome.unknown == 2
    assert {m.status for m in rows(config, campaign_id).values()} == {"sending"}
    assert outbox.send_due(config, now=NOON + dt.timedelta(hours=1)).claimed == 0  # never claimed for sending
    assert outbox.reconcile(config, now=NOON + dt.timedelta(seconds=5)).claimed == 0  # not asked yet
    asked = outbox.reconcile(config, now=NOON + outbox.QUERY_AFTER)
    assert (asked.sent, asked.retry) == (1, 1)
    after = rows(config, campaign_id)
    assert after[kept].status == "sent" and after[kept].gateway_id == f"gw-{after[kept].id}"
    assert after[lost].status == "pending"  # the gateway never had it: safe to send again
    assert outbox.send_due(config, now=NOON + outbox.QUERY_AFTER).sent == 1
    sends = [c["to"] for c in scripted.calls() if c["answer"] in ("accepted", "unknown")]
    assert sorted(sends) == sorted([kept, lost, lost])  # the kept one went once, the lost one twice
    assert rows(config, campaign_id)[lost].status == "sent"


def test_a_channel_that_raises_leaves_the_chunk_to_be_reconciled(config: Config, scripted: ScriptedChannel) -> None:
    number = mobiles(1)[0]
    scripted.script({number: ["raise", "accepted"]})
    _, campaign_id = start(config, [number])
    assert outbox.send_due(config, now=NOON).unknown == 1
    message = rows(config, campaign_id)[number]
    assert message.status == "sending" and message.error_code == "exception"
    outbox.reconcile(config, now=NOON + outbox.QUERY_AFTER)
    assert outbox.send_due(config, now=NOON + outbox.QUERY_AFTER).sent == 1


def test_rows_of_a_worker_that_died_are_reconciled_after_their_lease(config: Config, scripted: ScriptedChannel) -> None:
    numbers = mobiles(4)
    _, campaign_id = start(config, numbers)
    with session_scope(config) as session:  # a worker claims four rows ...
        claimed = outbox.claim(session, NOON, 10, NOON + outbox.LEASE)
    channel = get_registry().channels.items["scripted"]
    handed = [c for c in claimed if c.to in numbers[:2]]  # ... hands two to the gateway, then dies
    channel.send_batch([OutgoingMessage(c.id, c.to, "x") for c in handed], {})
    assert outbox.reconcile(config, now=NOON + outbox.LEASE - dt.timedelta(seconds=1)).claimed == 0
    outcome = outbox.reconcile(config, now=NOON + outbox.LEASE)
    assert (outcome.claimed, outcome.sent, outcome.retry) == (4, 2, 2)
    outbox.send_due(config, now=NOON + outbox.LEASE)
    by_number = rows(config, campaign_id)
    assert {m.status for m in by_number.values()} == {"sent"}
    sends = sorted(c["to"] for c in scripted.calls())
    assert sends == sorted(numbers)  # each number reached the gateway exactly once
    assert by_number[numbers[0]].text  # filled even though the dead worker never recorded it


def test_a_number_that_opts_out_after_the_outbox_was_written_is_skipped(config: Config,
                                                                       scripted: ScriptedChannel) -> None:
    stays, leaves = mobiles(2)
    shop_id, campaign_id = start(config, [stays, leaves])
    with session_scope(config) as session:
        opt_out(session, shop_id, "scripted", leaves, "reply")
    outcome = outbox.send_due(config, now=NOON)
    assert (outcome.sent, outcome.skipped) == (1, 1)
    assert [c["to"] for c in scripted.calls()] == [stays]
    message = rows(config, campaign_id)[leaves]
    assert (message.status, message.skip_reason) == ("skipped", "opted_out")


def test_marketing_claimed_in_quiet_hours_waits_for_the_morning(config: Config, scripted: ScriptedChannel) -> None:
    _, campaign_id = start(config, mobiles(2))
    outcome = outbox.send_due(config, now=NIGHT)
    morning = dt.datetime(2026, 11, 21, 0, 0)  # 08:00 in Shanghai
    assert (outcome.deferred, outcome.wake_at) == (2, morning)
    assert scripted.calls() == []
    assert {(m.status, m.send_after) for m in rows(config, campaign_id).values()} == {("pending", morning)}
    assert outbox.send_due(config, now=morning).sent == 2


def test_cancelling_stops_what_is_pending(config: Config, scripted: ScriptedChannel) -> None:
    _, campaign_id = start(config, mobiles(3))
    with session_scope(config) as session:
        skipped = campaigns.cancel(session, session.get(Campaign, campaign_id))
    assert skipped == 3
    assert outbox.send_due(config, now=NOON).claimed == 0
    assert {(m.status, m.skip_reason) for m in rows(config, campaign_id).values()} == {("skipped", "cancelled")}


def test_a_campaign_is_sent_once_nothing_is_open(config: Config, scripted: ScriptedChannel) -> None:
    number = mobiles(1)[0]
    scripted.script({number: ["unknown_kept"]})
    _, campaign_id = start(config, [number])
    outbox.send_due(config, now=NOON)
    assert campaigns.finish_done(config) == 0  # one message still in flight
    outbox.reconcile(config, now=NOON + outbox.QUERY_AFTER)
    assert campaigns.finish_done(config) == 1
    with session_scope(config) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign.status == "sent" and campaign.finished_at is not None


def test_receipts_mark_messages_delivered_or_failed(config: Config, scripted: ScriptedChannel) -> None:
    first, second = mobiles(2)
    _, campaign_id = start(config, [first, second])
    outbox.send_due(config, now=NOON)
    sent = rows(config, campaign_id)
    with session_scope(config) as session:
        assert outbox.apply_receipt(session, MessageEvent("delivered", "scripted", message_id=sent[first].id,
                                                          occurred_at=NOON)) == 1
        assert outbox.apply_receipt(session, MessageEvent("failed", "scripted", gateway_id=sent[second].gateway_id,
                                                          mobile=second, error_code="MK:0001")) == 1
        assert outbox.apply_receipt(session, MessageEvent("replied", "scripted", mobile=first)) == 0
    after = rows(config, campaign_id)
    assert (after[first].status, after[first].delivered_at) == ("delivered", NOON)
    assert (after[second].status, after[second].error_code) == ("failed", "MK:0001")


def test_the_longest_due_are_claimed_first(config: Config, scripted: ScriptedChannel) -> None:
    from sqlalchemy import update

    _, campaign_id = start(config, mobiles(4))
    by_number = rows(config, campaign_id)
    due = {number: NOON - dt.timedelta(minutes=minutes) for number, minutes in zip(mobiles(4), (1, 30, 5, 20))}
    with session_scope(config) as session:
        for number, moment in due.items():
            session.execute(update(Message).where(Message.id == by_number[number].id).values(send_after=moment))
    with session_scope(config) as session:
        taken = outbox.claim(session, NOON, 2, NOON + outbox.LEASE)
    assert sorted(m.to for m in taken) == sorted(mobiles(4)[i] for i in (1, 3))  # 30 and 20 minutes overdue


def test_a_claim_reads_the_due_entries_and_takes_its_rows_by_key(config: Config, scripted: ScriptedChannel) -> None:
    from sqlalchemy import event, text

    from shopcrm.db import get_engine

    _, campaign_id = start(config, mobiles(3000))
    engine = get_engine(config)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:  # statistics of a big outbox: the planner's choice is real
        conn.exec_driver_sql("ANALYZE message" if postgres else "ANALYZE")
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE MESSAGE"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        with session_scope(config) as session:
            assert len(outbox.claim(session, NOON, 100, NOON + outbox.LEASE)) == 100
    finally:
        event.remove(engine, "before_cursor_execute", note)
    [(statement, parameters)] = seen
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        cursor = raw.cursor()
        cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters)
        plan = "\n".join(str(row[0] if postgres else row[-1]) for row in cursor.fetchall())
        cursor.close()
        conn.rollback()
    if postgres:  # each taken row looked up by its key, never a join over every message
        assert "Index Scan using pk_message on message" in plan and "Join" not in plan, plan
    else:
        assert "INDEX ix_message_status_send_after" in plan and "PRIMARY KEY" in plan, plan
