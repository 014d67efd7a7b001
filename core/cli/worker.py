"""``shopcrm worker``: an RQ worker for the jobs queue and the send queue on ``REDIS_URL``.

It serves the main queue first (imports, campaign starts, segmenter runs), then the outbox's
send jobs; ``--queues send`` makes a worker that only sends (so care messages never wait behind a
long import), ``--queues main`` one that never does. When Redis goes away (a restart) the worker waits for it and carries on instead of
exiting: the messages are in the database, and the sweep queues their jobs again.
"""
from __future__ import annotations

import click

import logging
import time

from shopcrm.cli.common import config
from shopcrm.dispatch import SEND_QUEUE
from shopcrm.jobs.runner import QUEUE_NAME, load_job_kinds, redis_connection

log = logging.getLogger(__name__)
RECONNECT_SECONDS = 1.0


@click.command(help="Run jobs from Redis (REDIS_URL). --burst runs what is queued, then exits.")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
@click.option("--queues", "served", default="main,send", show_default=True,
              help="Which queues, in order: main (imports, campaign starts, labels ...) and/or send (the outbox).")
def worker(burst: bool, name: str | None, served: str) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from rq import Queue

    from shopcrm.jobs.worker import ShopcrmWorker

    cfg = config()
    if not cfg.redis_url:
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, jobs run inside the web process and no worker is needed"
        )
    names = queue_names(served)
    load_job_kinds()
    connection = redis_connection(cfg)
    while True:
        queues = [Queue(queue, connection=connection) for queue in names]
        try:
            rq_worker = ShopcrmWorker(queues, connection=connection, name=name)
            rq_worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
            return
        except (RedisConnectionError, RedisTimeoutError) as exc:
            log.warning("Redis unavailable (%s); reconnecting in %.0f s", exc, RECONNECT_SECONDS)
            time.sleep(RECONNECT_SECONDS)


QUEUES = {"main": QUEUE_NAME, "send": SEND_QUEUE}


def queue_names(served: str) -> list[str]:
    """The RQ queue names of ``--queues`` (``main,send``), or a usage error naming what is wrong."""
    wanted = [part.strip() for part in served.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in QUEUES]
    if unknown or not wanted:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(QUEUES)}",
                                 param_hint="--queues")
    return [QUEUES[part] for part in dict.fromkeys(wanted)]


def register(cli: click.Group) -> None:
    cli.add_command(worker)
