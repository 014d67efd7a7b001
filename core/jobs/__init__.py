"""Jobs: long work (imports, campaign dispatch, segmenter runs) run by RQ workers or in-process.

Job functions live here and in plugins, declared with :func:`job`; they take ids, not objects.
:func:`enqueue` queues one (RQ when ``REDIS_URL`` is set, the embedded runner otherwise) and
returns the id of its ``job_run`` row, whose progress the web UI polls.
"""
from shopcrm.jobs.progress import Progress
from shopcrm.jobs.registry import get_job, job, job_kinds
from shopcrm.jobs.runner import enqueue, job_status, run_job, wait_for

__all__ = ["Progress", "enqueue", "get_job", "job", "job_kinds", "job_status", "run_job", "wait_for"]
