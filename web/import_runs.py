"""Import runs as the import pages show them: a shop's recent runs, one run with its job, its
error report on disk, and starting a run for a confirmed upload.

An import run (:class:`shopcrm.models.ImportRun`) is made by the core's
:func:`shopcrm.importing.create_import_run` and run by the ``import.run`` job; this module
only starts it, records who did (audit ``import.start``) and finds what the pages need.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shopcrm import audit
from shopcrm.config import Config
from shopcrm.importing import REPORTS_FOLDER, create_import_run
from shopcrm.jobs import enqueue, job_status
from shopcrm.models import ImportRun, User
from shopcrm.web.job_labels import FINAL_STATUSES
from shopcrm.web.uploads import Upload, mark_imported

IMPORT_JOB = "import.run"


@dataclass(slots=True, frozen=True)
class RunRow:
    """An import run with the name of the user who started it."""

    run: ImportRun
    username: str | None


def recent_runs(session: Session, shop_id: int, limit: int) -> list[RunRow]:
    """The shop's latest import runs, newest first."""
    rows = session.execute(
        select(ImportRun, User.username)
        .outerjoin(User, User.id == ImportRun.created_by)
        .where(ImportRun.shop_id == shop_id)
        .order_by(ImportRun.id.desc())
        .limit(limit)
    ).all()
    return [RunRow(run, username) for run, username in rows]


def find_run(session: Session, run_id: int, shop_id: int) -> RunRow | None:
    row = session.execute(
        select(ImportRun, User.username)
        .outerjoin(User, User.id == ImportRun.created_by)
        .where(ImportRun.id == run_id, ImportRun.shop_id == shop_id)
    ).first()
    return RunRow(row[0], row[1]) if row is not None else None


def run_job_status(run: ImportRun, config: Config) -> dict[str, Any] | None:
    """The status of the job that runs ``run`` (``None`` for a run started elsewhere)."""
    return job_status(run.job_id, config) if run.job_id is not None else None


def is_over(run: ImportRun, job: dict[str, Any] | None) -> bool:
    """True when nothing more will happen to the run: it finished or failed, or its job
    failed before the run could record it."""
    return run.status in FINAL_STATUSES or (job is not None and job["status"] == "failed")


def error_report_path(run: ImportRun, config: Config) -> Path | None:
    """The run's error report, when it is a file inside the instance's reports folder."""
    if not run.error_report:
        return None
    reports = (config.instance_path / REPORTS_FOLDER).resolve()
    path = Path(run.error_report).resolve()
    if not path.is_relative_to(reports) or not path.is_file():
        return None
    return path


def start_import(session: Session, config: Config, upload: Upload, mapping: dict[str, str],
                 user: User, ip: str | None) -> int:
    """Create the import run of ``upload`` with ``mapping`` and queue its job; returns the run.

    ``session`` must have no write under way: the run and the job are created in sessions of
    their own (on SQLite a second writer would wait for this one). The audit entry is committed
    before the job is queued, and the job's id is then noted on the run.
    """
    params = {"path": str(upload.path), "filename": upload.filename, "preset": None,
              "mapping": mapping}
    run_id = create_import_run(config, upload.shop_id, upload.kind, params, created_by=user.id)
    mark_imported(upload, run_id)
    audit.record(session, "import.start", user=user, target=f"import:{run_id}",
                 details={"kind": upload.kind, "filename": upload.filename}, ip=ip)
    session.commit()
    job_id = enqueue(IMPORT_JOB, config=config, created_by=user.id, import_run_id=run_id)
    session.execute(update(ImportRun).where(ImportRun.id == run_id).values(job_id=job_id))
    session.commit()
    return run_id
