"""Enqueueing and running jobs: on RQ when ``REDIS_URL`` is set, in-process otherwise.

Every job is a ``job_run`` row first (its kind, arguments and progress); the queue carries only
that row's id. :func:`run_job` is the one function RQ workers execute, and the embedded runner
calls the very same function on a background thread, so both paths run identical code.
"""
from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import traceback
from typing import Any

from sqlalchemy import select, update

from shopcrm.config import Config, load_config
from shopcrm.db import get_engine, session_scope, utcnow
from shopcrm.jobs.progress import Progress
from shopcrm.jobs.registry import get_job
from shopcrm.models import JobRun

log = logging.getLogger(__name__)

QUEUE_NAME = "shopcrm"
JOB_TIMEOUT = 6 * 3600


CORE_JOB_MODULES = ("shopcrm.jobs.core", "shopcrm.importing", "shopcrm.labels", "shopcrm.campaigns",
                    "shopcrm.automations")
"""Modules of the core that declare job kinds."""


def load_job_kinds() -> None:
    """Import the core's job kinds and the plugins, which declare theirs on import."""
    import importlib

    from shopcrm.plugins import get_plugin_manager

    for module in CORE_JOB_MODULES:
        importlib.import_module(module)
    get_plugin_manager()


def enqueue(
    kind: str,
    config: Config | None = None,
    created_by: int | None = None,
    wait: bool = False,
    defer: dt.timedelta | None = None,
    **kwargs: Any,
) -> int:
    """Queue job ``kind`` with ``kwargs``; return its ``job_run`` id.

    With ``wait=True`` (the command line's ``--wait``) the embedded runner runs the job before
    returning; on RQ the caller polls :func:`wait_for` instead. ``defer`` has RQ's scheduler
    queue it that much later (the run stays ``queued`` meanwhile, so later callers may join it);
    the embedded runner, which runs one job at a time anyway, queues it at once.
    """
    config = config or load_config()
    load_job_kinds()
    get_job(kind)  # an unknown kind fails here, not later on a worker
    with session_scope(config) as session:
        run = JobRun(kind=kind, args=kwargs, status="queued", created_by=created_by)
        session.add(run)
        session.flush()
        run_id = run.id
    if config.redis_url:
        options = {"job_timeout": JOB_TIMEOUT, "description": f"{kind} #{run_id}"}
        rq_job = (rq_queue(config).enqueue_in(defer, run_job, run_id, **options) if defer
                  else rq_queue(config).enqueue(run_job, run_id, **options))
        with session_scope(config) as session:
            session.execute(update(JobRun).where(JobRun.id == run_id).values(rq_job_id=rq_job.id))
    elif wait:
        run_job(run_id, config=config)
    else:
        embedded_runner(config).submit(run_id)
    return run_id


def run_job(job_run_id: int, config: Config | None = None) -> Any:
    """Run the job of ``job_run_id`` and record its outcome. What RQ workers execute."""
    load_job_kinds()
    config = config or load_config()
    engine = get_engine(config)
    with session_scope(config) as session:
        run = session.get(JobRun, job_run_id)
        if run is None:
            raise LookupError(f"job run {job_run_id} does not exist")
        kind, kwargs = run.kind, dict(run.args)
        run.status, run.started_at, run.error = "running", utcnow(), None
    progress = Progress(config, engine, job_run_id)
    try:
        result = get_job(kind)(progress, **kwargs)
    except Exception as exc:
        log.exception("job %s #%s failed", kind, job_run_id)
        with session_scope(config) as session:
            session.execute(
                update(JobRun)
                .where(JobRun.id == job_run_id)
                .values(
                    status="failed",
                    error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}",
                    done=progress.done,
                    total=progress.total,
                    message=progress.message,
                    finished_at=utcnow(),
                )
            )
        raise
    with session_scope(config) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == job_run_id)
            .values(
                status="finished",
                result=result if isinstance(result, dict) else {"value": result},
                done=progress.total if progress.total is not None else progress.done,
                total=progress.total,
                message=progress.message,
                finished_at=utcnow(),
            )
        )
    return result


def job_status(job_run_id: int, config: Config | None = None) -> dict[str, Any] | None:
    """A job run's progress as plain data (what the UI polls)."""
    with session_scope(config) as session:
        run = session.scalar(select(JobRun).where(JobRun.id == job_run_id))
        if run is None:
            return None
        return {
            "id": run.id,
            "kind": run.kind,
            "status": run.status,
            "done": run.done,
            "total": run.total,
            "percent": (round(100 * run.done / run.total) if run.total else None),
            "message": run.message,
            "result": run.result,
            "error": run.error.splitlines()[0] if run.error else None,
        }


def wait_for(job_run_id: int, config: Config | None = None, timeout: float = 3600.0) -> dict[str, Any]:
    """Block until the job run has finished or failed; return its status."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        status = job_status(job_run_id, config)
        if status is None:
            raise LookupError(f"job run {job_run_id} does not exist")
        if status["status"] in ("finished", "failed"):
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"job run {job_run_id} still {status['status']} after {timeout:.0f}s")
        time.sleep(0.2)


# --- RQ ---------------------------------------------------------------------------------------


def redis_connection(config: Config) -> Any:
    from redis import Redis

    if not config.redis_url:
        raise RuntimeError("REDIS_URL is not set: jobs run in-process and no worker is needed")
    return Redis.from_url(config.redis_url)


def rq_queue(config: Config) -> Any:
    from rq import Queue

    return Queue(QUEUE_NAME, connection=redis_connection(config))


# --- embedded ---------------------------------------------------------------------------------


class EmbeddedRunner:
    """Runs jobs one at a time on a daemon thread of this process (no Redis needed)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._queue: queue.Queue[int] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="shopcrm-jobs", daemon=True)
        self._thread.start()

    def submit(self, job_run_id: int) -> None:
        self._queue.put(job_run_id)

    def join(self) -> None:
        """Wait until every submitted job has run."""
        self._queue.join()

    def _loop(self) -> None:
        while True:
            job_run_id = self._queue.get()
            try:
                run_job(job_run_id, config=self.config)
            except Exception:  # recorded on the job run by run_job; keep serving the queue
                log.exception("embedded job run %s failed", job_run_id)
            finally:
                self._queue.task_done()


_runners: dict[str, EmbeddedRunner] = {}
_runners_lock = threading.Lock()


def join_embedded_runners() -> None:
    """Wait until every job submitted to this process's embedded runners has run (tests, and a
    process about to drop its database, call this so that no job outlives its database)."""
    with _runners_lock:
        runners = list(_runners.values())
    for runner in runners:
        runner.join()


def embedded_runner(config: Config) -> EmbeddedRunner:
    key = f"{config.database_url}|{config.instance_path}"  # jobs write reports into the instance
    with _runners_lock:
        runner = _runners.get(key)
        if runner is None:
            runner = _runners[key] = EmbeddedRunner(config)
        return runner
