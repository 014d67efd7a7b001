"""``shopcrm worker``: an RQ worker for the jobs queue on ``REDIS_URL``."""
from __future__ import annotations

import click

from shopcrm.cli.common import config
from shopcrm.jobs.runner import QUEUE_NAME, load_job_kinds, redis_connection


@click.command(help="Run jobs from Redis (REDIS_URL). --burst runs what is queued, then exits.")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
def worker(burst: bool, name: str | None) -> None:
    from rq import Queue, Worker

    cfg = config()
    if not cfg.redis_url:
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, jobs run inside the web process and no worker is needed"
        )
    load_job_kinds()
    connection = redis_connection(cfg)
    queue = Queue(QUEUE_NAME, connection=connection)
    rq_worker = Worker([queue], connection=connection, name=name)
    rq_worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


def register(cli: click.Group) -> None:
    cli.add_command(worker)
