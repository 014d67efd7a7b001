"""Progress of long work (imports, sends, recomputations) for the UI to poll.

``GET /jobs/<id>`` answers an htmx fragment: a progress bar that asks for itself again every
second (``hx-trigger="every 1s"``, swapping itself) until the job has finished or failed, and
then stops. ``GET /jobs/<id>.json`` gives the same status as data.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template
from flask.typing import ResponseReturnValue

from shopcrm.jobs import job_status
from shopcrm.web.database import current_config
from shopcrm.web.job_labels import FINAL_STATUSES, job_label, status_label

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def status_or_404(job_id: int) -> dict[str, Any]:
    status = job_status(job_id, current_config())
    if status is None:
        abort(404)
    return status


def render_progress(status: dict[str, Any]) -> str:
    """The progress fragment of a job's status (polling itself until the job is over)."""
    return render_template(
        "jobs/progress.html",
        job=status,
        job_label=job_label(status["kind"]),
        status_label=status_label(status["status"]),
        final=status["status"] in FINAL_STATUSES,
    )


@bp.route("/<int:job_id>")
def progress(job_id: int) -> ResponseReturnValue:
    return render_progress(status_or_404(job_id))


@bp.route("/<int:job_id>.json")
def progress_json(job_id: int) -> ResponseReturnValue:
    return jsonify(status_or_404(job_id))
