"""The RQ worker ``shopcrm worker`` runs: a work horse per job, except for send jobs.

RQ's worker forks a process for every job, so a long import or label run gives its memory back
when it ends and cannot harm the worker. The outbox's send jobs are the opposite: many, short,
and mostly spent on what a fresh process must first rebuild (the database engine and its compiled
statements, the plugins' registry, a connection). They run in the worker itself, warm, which
takes about half the time per batch; everything else still gets its work horse. Connections a
work horse inherits are dropped at the fork (:mod:`shopcrm.db`), never shared.
"""
from __future__ import annotations

from typing import Any

from rq import Worker
from rq.worker import WorkerStatus

from shopcrm.dispatch import SEND_QUEUE


class ShopcrmWorker(Worker):
    """RQ's forking worker, running send jobs in its own process."""

    def execute_job(self, job: Any, queue: Any) -> None:
        if queue.name != SEND_QUEUE:
            super().execute_job(job, queue)
            return
        execution = self.prepare_execution(job)
        self.perform_job(job, queue, execution)
        self.set_state(WorkerStatus.IDLE)

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        """While a send job runs in this process nothing else beats the heart: allow its timeout."""
        ttl = super().get_heartbeat_ttl(job, working_time)
        return max(ttl, int(job.timeout or 0) + 60) if job.origin == SEND_QUEUE else ttl


__all__ = ["ShopcrmWorker"]
