"""`shopcrm worker`'s RQ worker: send jobs run in the worker itself, other jobs in a work horse."""
from __future__ import annotations

import os

from shopcrm.dispatch import SEND_QUEUE
from shopcrm.jobs.runner import QUEUE_NAME


def test_send_jobs_run_in_the_worker_and_others_in_a_work_horse(redis_url: str) -> None:
    from redis import Redis
    from rq import Queue

    from shopcrm.jobs.worker import ShopcrmWorker

    connection = Redis.from_url(redis_url)
    main, send = Queue(QUEUE_NAME, connection=connection), Queue(SEND_QUEUE, connection=connection)
    forked = main.enqueue(os.getpid)
    warm = [send.enqueue(os.getpid) for _ in range(2)]
    ShopcrmWorker([main, send], connection=connection).work(burst=True)
    assert forked.return_value() not in (None, os.getpid())
    assert [job.return_value() for job in warm] == [os.getpid(), os.getpid()]
