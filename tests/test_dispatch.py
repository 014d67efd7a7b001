"""Who runs the outbox: send jobs on RQ's send queue, the sweep, and sending in the foreground."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from shopcrm import campaigns, dispatch, outbox
from shopcrm.config import Config, load_config
from shopcrm.db import session_scope, utcnow
from shopcrm.models import Campaign, Message
from sending_support import EVERYONE, ScriptedChannel, make_shop, mobiles, scripted  # noqa: F401


def started(config: Config, n: int, batch_rows: int | None = None) -> int:
    with session_scope(config) as session:
        shop_id, _ = make_shop(session, mobiles(n))
        campaign_id = campaigns.create(session, shop_id, "派发", "scripted", "你好${nickname}", rules=EVERYONE).id
    campaigns.begin(config, campaign_id, utcnow())
    return campaign_id


def statuses(config: Config, campaign_id: int) -> dict[str, int]:
    with session_scope(config) as session:
        return campaigns.status_counts(session, campaign_id)


def run_send_queue(redis_url: str) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(redis_url)
    SimpleWorker([Queue(dispatch.SEND_QUEUE, connection=connection)], connection=connection).work(burst=True)


def test_starting_a_campaign_queues_one_send_job_per_batch(redis_url: str, scripted: ScriptedChannel,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "BATCH", 4)
    monkeypatch.setattr(dispatch, "BATCH", 4)
    config = load_config()
    campaign_id = started(config, 10)
    assert dispatch.send_queue(config).count == 3
    run_send_queue(redis_url)
    assert statuses(config, campaign_id) == {"sent": 10}
    with session_scope(config) as session:
        assert session.get(Campaign, campaign_id).status == "sent"
    assert sorted(c["to"] for c in scripted.calls()) == mobiles(10)


def test_the_sweep_queues_work_nobody_is_doing(redis_url: str, scripted: ScriptedChannel) -> None:
    config = load_config()
    campaign_id = started(config, 5)
    dispatch.send_queue(config).empty()  # Redis lost its queue
    assert dispatch.send_queue(config).count == 0
    swept = dispatch.sweep(config)
    assert (swept["due"], swept["queued"]) == (5, 1)
    assert dispatch.sweep(config)["queued"] == 0  # already queued: not twice
    run_send_queue(redis_url)
    assert statuses(config, campaign_id) == {"sent": 5}


def test_a_retry_is_scheduled_for_its_back_off(redis_url: str, scripted: ScriptedChannel) -> None:
    from rq.registry import ScheduledJobRegistry

    config = load_config()
    number = mobiles(1)[0]
    scripted.script({number: ["retry", "accepted"]})
    campaign_id = started(config, 1)
    run_send_queue(redis_url)
    assert statuses(config, campaign_id) == {"pending": 1}
    registry = ScheduledJobRegistry(queue=dispatch.send_queue(config))
    assert registry.count == 1
    when = registry.get_scheduled_time(registry.get_job_ids()[0])
    assert abs((when.replace(tzinfo=None) - utcnow()) - outbox.backoff(1)) < dt.timedelta(seconds=5)


def test_the_sweep_starts_scheduled_campaigns_and_reconciles(config: Config, scripted: ScriptedChannel) -> None:
    with session_scope(config) as session:
        shop_id, _ = make_shop(session, mobiles(3))
        later = campaigns.create(session, shop_id, "定时", "scripted", "你好", rules=EVERYONE,
                                 scheduled_at=utcnow() + dt.timedelta(hours=1)).id
        due = campaigns.create(session, shop_id, "到点", "scripted", "你好", rules=EVERYONE,
                               scheduled_at=utcnow() - dt.timedelta(minutes=1)).id
    swept = dispatch.sweep(config)
    assert (swept["started"], swept["due"]) == (1, 3)
    with session_scope(config) as session:
        assert session.get(Campaign, later).status == "scheduled"
        assert session.get(Campaign, due).status == "sending"
        assert session.scalar(select(func.count()).select_from(Message).where(Message.campaign_id == later)) == 0
    dispatch.drain(config)
    assert statuses(config, due) == {"sent": 3}
    with session_scope(config) as session:
        assert session.get(Campaign, due).status == "sent"


def test_drain_waits_for_what_is_in_flight(config: Config, scripted: ScriptedChannel,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "QUERY_AFTER", dt.timedelta(seconds=0.3))
    number = mobiles(1)[0]
    scripted.script({number: ["unknown_kept"]})
    campaign_id = started(config, 1)

    def done() -> bool:
        return statuses(config, campaign_id) == {"sent": 1}

    dispatch.drain(config, done, timeout=30)
    assert len(scripted.calls("send")) == 1 and len(scripted.calls("query")) == 1


def test_without_redis_a_thread_of_the_server_sends(config: Config, scripted: ScriptedChannel) -> None:
    import time

    dispatcher = dispatch.local_dispatcher(config)
    try:
        campaign_id = started(config, 7)  # begin() wakes the running dispatcher
        deadline = time.monotonic() + 20
        while statuses(config, campaign_id) != {"sent": 7} and time.monotonic() < deadline:
            time.sleep(0.1)
        assert statuses(config, campaign_id) == {"sent": 7}
    finally:
        dispatch.stop_local_dispatchers()
    assert not dispatcher._thread.is_alive()


def test_a_full_last_batch_marks_its_campaign_sent(config: Config, scripted: ScriptedChannel,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "BATCH", 4)
    campaign_id = started(config, 4)  # exactly one full batch: no partial batch will come
    outcome = outbox.send_due(config, limit=4)
    assert outcome.claimed == 4
    dispatch.after(config, outcome, 4)
    with session_scope(config) as session:
        assert session.get(Campaign, campaign_id).status == "sent"


def test_a_worker_can_serve_only_the_send_queue(redis_url: str, scripted: ScriptedChannel) -> None:
    import os
    import subprocess
    import sys

    from shopcrm.jobs import enqueue

    config = load_config()
    campaign_id = started(config, 3)
    other = enqueue("rollups.refresh", config, shop_id=1)  # a main-queue job the send worker leaves alone
    worker = subprocess.run([os.path.join(os.path.dirname(sys.executable), "shopcrm"), "worker", "--burst",
                             "--queues", "send"], env=os.environ.copy(), capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr
    assert statuses(config, campaign_id) == {"sent": 3}
    from shopcrm.jobs import job_status

    assert job_status(other, config)["status"] == "queued"
    refused = subprocess.run([os.path.join(os.path.dirname(sys.executable), "shopcrm"), "worker", "--queues",
                              "mail"], env=os.environ.copy(), capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "mail: choose from main, send" in refused.stderr
