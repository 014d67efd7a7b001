"""Progress a running job reports, written to its ``job_run`` row for the UI to poll."""
from __future__ import annotations

import time

from sqlalchemy import update
from sqlalchemy.engine import Engine

from shopcrm.config import Config
from shopcrm.models import JobRun


class Progress:
    """Writes ``done``/``total``/``message`` of one job run, at most every ``interval`` seconds.

    Each write is its own short transaction, so pollers see it while the job's own work is
    still uncommitted. ``config`` is the configuration the job runs under: job functions open
    their sessions with ``session_scope(progress.config)``.
    """

    def __init__(self, config: Config, engine: Engine, job_run_id: int, interval: float = 0.5) -> None:
        self.config = config
        self.engine = engine
        self.job_run_id = job_run_id
        self.interval = interval
        self.done = 0
        self.total: int | None = None
        self.message = ""
        self._last_write = 0.0

    def update(
        self,
        done: int | None = None,
        total: int | None = None,
        message: str | None = None,
        force: bool = False,
    ) -> None:
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message
        now = time.monotonic()
        if force or now - self._last_write >= self.interval:
            self._last_write = now
            self.flush()

    def advance(self, step: int = 1, message: str | None = None) -> None:
        self.update(done=self.done + step, message=message)

    def flush(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(JobRun)
                .where(JobRun.id == self.job_run_id)
                .values(done=self.done, total=self.total, message=self.message)
            )
