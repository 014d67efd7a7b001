"""``shopcrm worker``: an RQ worker for the jobs queue and the send queue on ``REDIS_URL``.

It serves the main queue first (imports, campaign starts, segmenter runs), then the outbox's
send jobs. When Redis goes away (a restart) the worker waits for it and carries on instead of
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
def worker(burst: bool, name: str | None) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from rq import Queue, Worker

    cfg = config()
    if not cfg.redis_url:
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, jobs run inside the web process and no worker is needed"
        )
    load_job_kinds()
    connection = redis_connection(cfg)
    while True:
        queues = [Queue(QUEUE_NAME, connection=connection), Queue(SEND_QUEUE, connection=connection)]
        try:
            rq_worker = Worker(queues, connection=connection, name=name)
            rq_worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
            return
        except (RedisConnectionError, RedisTimeoutError) as exc:
            log.warning("Redis unavailable (%s); reconnecting in %.0f s", exc, RECONNECT_SECONDS)
            time.sleep(RECONNECT_SECONDS)


def register(cli: click.Group) -> None:
    cli.add_command(worker)
