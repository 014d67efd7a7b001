"""Campaign dispatch: writing a campaign's outbox, and sending it with W worker processes through
the SMS sandbox, against the same number of no-op RQ jobs on the same workers, in one run.

Needs Redis (``REDIS_URL``; the benchmark uses only the send queue and the throttle's key, and
refuses to start if the send queue is not empty). Without it, it prints a ``skipped`` line.

    REDIS_URL=redis://127.0.0.1:6379/12 python benchmarks/campaign_dispatch.py --recipients 100000 --workers 2
    REDIS_URL=... python benchmarks/campaign_dispatch.py --recipients 20000 --workers 2 --rate 2000
    REDIS_URL=... DATABASE_URL=postgresql://postgres@127.0.0.1/bench python benchmarks/campaign_dispatch.py

The shop is a cached demo shop of N customers (``demo_shop.py``; about 1 % of them have no valid
number and a few share one, so slightly fewer than N messages are pending). Quiet hours are
switched off and the sandbox answers everything at once, without failures or business limits.

* ``write_s``: ``shopcrm.campaigns.begin``: the outbox written in one statement, and its send jobs
  queued, with no worker running yet (target < 10 s at 1M);
* ``ours_s``: W ``shopcrm worker --burst`` processes send every message: the seconds from the
  first send job taken off the queue to the last one ending (RQ's record of it);
  ``msgs_per_s`` = messages / ``ours_s`` (target ≥ 20k/s at 1M, 2 workers);
* ``baseline_s``: the same W burst workers running as many no-op jobs as dispatch queued (one
  per ``shopcrm.outbox.BATCH`` messages), timed the same way: what RQ itself costs;
  ``ratio`` = ours / baseline (lower is better; target ≤ 1.5);
* ``*_wall_s``: the same from starting the workers to the last one exiting (start-up included:
  2 to 4 s on an idle machine, more on a busy one);
* ``--rate R`` sets the channel's ``rate_per_second`` (the throttle shared by the workers in
  Redis) and reports ``achieved_rate`` (from the sandbox's submission times) and its
  ``rate_deviation`` (target within 5 %);
* ``campaign_status_after``: the campaign's status once the workers are done (``sent``, or
  ``sending`` when finishing it is left to the sweep);
* ``profile``: one batch of ``BATCH`` messages sent again in this process, with the seconds spent
  in each step (claim, opt-outs, text filling, the channel's ``send_batch``, record) and, with
  ``--profile``, cProfile's top functions on stderr.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from demo_shop import demo_shop, settle
from shopcrm import campaigns, channel_settings, outbox, sending_policy
from shopcrm.config import Config, load_config
from shopcrm.db import dispose_engines, session_scope
from shopcrm.dispatch import SEND_QUEUE
from shopcrm.models import Campaign, Message

SHOPCRM = os.path.join(os.path.dirname(sys.executable), "shopcrm")
EVERYONE = {"all": [{"field": "order_count", "op": ">=", "value": 0}]}
def run_workers(count: int, env: dict[str, str], logs: Path, name: str, queue: Any) -> tuple[float, float]:
    """Start ``count`` burst workers at once on ``queue``'s jobs; ``(wall, span)`` seconds: from
    the start to the last worker exiting, and from the first job taken (the queue shrinking,
    watched every 5 ms) to the last job ending (RQ's record of it), i.e. without the workers'
    start-up and exit."""
    from rq.registry import FinishedJobRegistry

    before = queue.count
    started = time.perf_counter()
    procs = []
    for i in range(count):
        with open(logs / f"{name}{i}.log", "wb") as log:
            procs.append(subprocess.Popen([SHOPCRM, "worker", "--burst"], env=env, stdout=log,
                                          stderr=subprocess.STDOUT))
    first_taken = None
    while any(p.poll() is None for p in procs):
        if first_taken is None and queue.count < before:
            first_taken = time.time()
        time.sleep(0.005)
    wall = time.perf_counter() - started
    failed = [p.returncode for p in procs if p.returncode]
    if failed or first_taken is None:
        raise SystemExit(f"a worker failed ({failed}) or took no job; see {logs}")
    from rq.job import Job

    finished = [j for j in Job.fetch_many(FinishedJobRegistry(queue=queue).get_job_ids(), connection=queue.connection)
                if j is not None and j.ended_at is not None]
    last_end = max(j.ended_at for j in finished).replace(tzinfo=dt.timezone.utc).timestamp()
    return wall, last_end - first_taken


def baseline(queue: Any, jobs: int, workers: int, env: dict[str, str], logs: Path) -> tuple[float, float]:
    """The same number of jobs on the send queue, each doing nothing; (wall, span) seconds."""
    from rq import Queue

    queue.enqueue_many([Queue.prepare_data("os.getpid", result_ttl=60) for _ in range(jobs)])
    return run_workers(workers, env, logs, "baseline", queue)


def profile_batch(cfg: Config, campaign_id: int, show: bool) -> dict[str, float]:
    """Send one batch of sent messages again in this process, timing each step."""
    from shopcrm import dispatch
    from shopcrm_sms_mock import channel as mock_channel
    from shopcrm_sms_mock.models import Submission

    with session_scope(cfg) as session:
        ids = session.scalars(select(Message.id).where(Message.campaign_id == campaign_id, Message.status == "sent")
                              .order_by(Message.id).limit(outbox.BATCH)).all()
        session.execute(update(Message).where(Message.id.in_(ids)).values(
            status="pending", attempts=0, gateway_id=None, text="", send_after=Message.created_at))
        session.execute(Submission.__table__.delete().where(Submission.message_id.in_(ids)))
    spent: dict[str, float] = defaultdict(float)
    originals: list[tuple[Any, str, Any]] = []

    def timed(owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        originals.append((owner, name, original))

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start
        setattr(owner, name, wrapper)

    timed(outbox, "claim", "claim")
    timed(outbox, "opted_out", "opt_outs")
    timed(outbox, "_fill_texts", "fill_texts")
    timed(outbox, "record", "record")
    timed(mock_channel.MockSmsChannel, "send_batch", "channel_send_batch")
    profiler = cProfile.Profile() if show else None
    started = time.perf_counter()
    try:
        if profiler:
            profiler.enable()
        outcome = outbox.send_due(cfg, redis=dispatch.redis_for(cfg))
        if profiler:
            profiler.disable()
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    total = time.perf_counter() - started
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    result = {label: round(seconds, 4) for label, seconds in spent.items()}
    result["other"] = round(total - sum(spent.values()), 4)
    result["total"] = round(total, 4)
    result["messages"] = outcome.sent
    return result


def achieved_rate(cfg: Config, max_batch: int) -> float | None:
    """Messages per second between the sandbox's first and last submission (per chunk times)."""
    from shopcrm_sms_mock.models import Submission

    with session_scope(cfg) as session:
        first, last, held = session.execute(select(func.min(Submission.submitted_at), func.max(Submission.submitted_at),
                                                   func.count())).one()
    if not held or last <= first:
        return None
    return (held - max_batch) / (last - first).total_seconds()


def run(args: argparse.Namespace, redis_url: str) -> dict[str, Any]:
    from redis import Redis
    from rq import Queue

    from shopcrm_sms_mock import behaviour
    from shopcrm_sms_mock.channel import MockSmsChannel

    send_queue = Queue(SEND_QUEUE, connection=Redis.from_url(redis_url))
    if send_queue.count:
        raise SystemExit(f"the send queue on {redis_url} holds {send_queue.count} jobs: use another Redis database")
    with demo_shop("campaign_dispatch", args.recipients, 0, args.seed) as shop:
        url = shop.engine.url.render_as_string(hide_password=False)
        env = {**os.environ, "DATABASE_URL": url, "SHOPCRM_INSTANCE": shop.folder, "REDIS_URL": redis_url}
        logs = Path(shop.folder) / "logs"
        logs.mkdir()
        if args.rate:
            Redis.from_url(redis_url).delete(f"shopcrm:throttle:sms_mock:{shop.shop_id}")
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SHOPCRM_INSTANCE", "REDIS_URL")})
        cfg = load_config()
        with session_scope(cfg) as session:
            sending_policy.save(session, shop.shop_id, {"quiet_start": 0, "quiet_end": 0})
            errors = channel_settings.save(session, cfg, "sms_mock", shop.shop_id,
                                           {"rate_per_second": str(int(args.rate))})
            if errors:
                raise SystemExit(f"--rate: {errors}")
            behaviour.save(session, behaviour.parse({"delay_seconds": 3600, "limit_per_minute": 0,
                                                     "limit_per_hour": 0, "limit_per_day": 0}))
            campaign_id = campaigns.create(session, shop.shop_id, "bench", "sms_mock", "你好${nickname}，新品上架",
                                           rules=EVERYONE).id
        settle(shop.engine)

        started = time.perf_counter()
        begun = campaigns.begin(cfg, campaign_id)
        write_s = time.perf_counter() - started
        pending = begun.get("pending", 0)
        jobs = send_queue.count
        if args.write_only:
            send_queue.empty()
            dispose_engines()
            return {"benchmark": "campaign.dispatch", "backend": shop.backend, "recipients": args.recipients,
                    "pending": pending, "write_s": round(write_s, 3), "jobs": jobs, "cached_shop": shop.cached}
        settle(shop.engine)

        ours_wall_s, ours_s = run_workers(args.workers, env, logs, "worker", send_queue)
        with session_scope(cfg) as session:
            counts = campaigns.status_counts(session, campaign_id)
            status_after = session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
        if counts.get("sent", 0) != pending or counts.get("pending") or counts.get("sending"):
            raise SystemExit(f"dispatch left {counts} (expected {pending} sent); see {logs}")
        rate = achieved_rate(cfg, MockSmsChannel.max_batch) if args.rate else None

        baseline_wall_s, baseline_s = baseline(send_queue, jobs, args.workers, env, logs)
        profile = profile_batch(cfg, campaign_id, args.profile)
        send_queue.empty()
        with session_scope(cfg) as session:
            skipped = dict(session.execute(select(Message.skip_reason, func.count()).where(
                Message.campaign_id == campaign_id, Message.status == "skipped").group_by(Message.skip_reason)).all())
        dispose_engines()
    result: dict[str, Any] = {
        "benchmark": "campaign.dispatch", "backend": shop.backend, "recipients": args.recipients,
        "pending": pending, "skipped": skipped, "workers": args.workers, "jobs": jobs,
        "write_s": round(write_s, 3), "ours_s": round(ours_s, 3), "baseline_s": round(baseline_s, 3),
        "ratio": round(ours_s / baseline_s, 2), "msgs_per_s": round(pending / ours_s),
        "ours_wall_s": round(ours_wall_s, 3), "baseline_wall_s": round(baseline_wall_s, 3),
        "wall_ratio": round(ours_wall_s / baseline_wall_s, 2), "wall_msgs_per_s": round(pending / ours_wall_s),
        "profile": profile, "campaign_status_after": status_after, "cached_shop": shop.cached,
    }
    if args.rate:
        result.update(rate=args.rate, achieved_rate=round(rate, 1) if rate else None,
                      rate_deviation=round(rate / args.rate - 1, 4) if rate else None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=int, default=0, help="the channel's rate_per_second (0: no limit)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile the profiled batch (stderr)")
    parser.add_argument("--write-only", action="store_true", help="time writing the outbox only (no sending)")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        print(json.dumps({"benchmark": "campaign.dispatch", "skipped": "REDIS_URL is not set"}))
        return
    print(json.dumps(run(args, redis_url), ensure_ascii=False))


if __name__ == "__main__":
    main()
