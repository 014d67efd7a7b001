"""Duplicate sends: an OutId submitted again while the sandbox holds it is answered as before and
counted in ``resends``; ``duplicate_count`` sums them, and the log and the page show the sum."""
from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import select

from shopcrm.cli import build_cli
from shopcrm_sms_mock.gateway import duplicate_count
from shopcrm_sms_mock.models import Submission
from sms_mock_support import NO_LIMITS, message
from tests.web.web_support import text


def resends(session) -> dict[int, int]:
    session.rollback()  # a fresh snapshot: the channel writes through sessions of its own
    return dict(session.execute(select(Submission.message_id, Submission.resends)).all())


def test_a_fresh_sandbox_has_no_duplicates(session):
    assert duplicate_count(session) == 0


def test_resubmitting_a_held_outid_is_counted_and_answered_as_before(channel, session, clock):
    first = channel.send_batch([message(1), message(2)], NO_LIMITS)
    clock.advance(minutes=5)
    again = channel.send_batch([message(1), message(1), message(3)], NO_LIMITS)
    assert again[:2] == [first[0], first[0]]
    assert again[2].status == "accepted"
    assert resends(session) == {1: 2, 2: 0, 3: 0}
    session.execute(Submission.__table__.update().where(Submission.message_id == 2).values(status="delivered"))
    session.commit()
    assert channel.send_batch([message(2)], NO_LIMITS) == [first[1]]  # delivered is held too
    assert resends(session)[2] == 1
    assert duplicate_count(session) == 3


def test_a_duplicate_within_the_batch_that_brought_the_message_is_counted(channel, session):
    results = channel.send_batch([message(5), message(5), message(5)], NO_LIMITS)
    assert len({r.gateway_id for r in results}) == 1 and {r.status for r in results} == {"accepted"}
    assert resends(session) == {5: 2}


def test_kept_timeouts_sent_again_are_duplicates(channel, session):
    batch = [message(i) for i in range(1, 41)]
    channel.send_batch(batch, {"unknown_percent": 100, **NO_LIMITS})
    kept = {m for m, status in session.execute(select(Submission.message_id, Submission.status)) if status == "accepted"}
    session.rollback()
    channel.send_batch(batch, NO_LIMITS)  # a blind resend after "unknown": what the outbox must never do
    assert {m for m, n in resends(session).items() if n} == kept
    assert duplicate_count(session) == len(kept)


def test_refused_and_dropped_outids_sent_again_are_not_duplicates(channel, session):
    channel.send_batch([message(1, to="123"), message(2)], {"transient_percent": 100, **NO_LIMITS})
    channel.send_batch([message(1, to="123"), message(2)], NO_LIMITS)  # 1 refused before, 2 re-tried
    assert resends(session) == {1: 0, 2: 0}
    assert duplicate_count(session) == 0


def test_the_log_shows_resends_and_the_duplicate_count(channel):
    channel.send_batch([message(1), message(1), message(2)], NO_LIMITS)
    runner = CliRunner()
    records = json.loads(runner.invoke(build_cli(), ["sms-mock", "log", "--json"]).output)
    assert {r["message_id"]: r["resends"] for r in records} == {1: 1, 2: 0}
    plain = runner.invoke(build_cli(), ["sms-mock", "log"])
    assert plain.exit_code == 0, plain.output
    assert plain.output.splitlines()[-1] == "duplicate sends: 1"


def test_the_page_shows_the_duplicate_count(login_as, make_user, channel):
    channel.send_batch([message(1), message(1), message(1)], NO_LIMITS)
    page = text(login_as(make_user("guest", "viewer")).get("/plugins/sms_mock/"))
    assert "重复发送" in page and "：2 次" in page
