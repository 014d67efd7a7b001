"""Progress of long work (imports, sends, recomputations) for the UI to poll.

``GET /jobs/<id>`` answers an htmx fragment: a progress bar that asks for itself again every
second (``hx-trigger="every 1s"``, swapping itself) until the job has finished or failed, and
then stops. ``GET /jobs/<id>.json`` gives the same status as data.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from shopcrm import audit
from shopcrm.jobs import enqueue, job_status
from shopcrm.shops import default_shop
from shopcrm.web.database import current_config, db
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


def start_job(kind: str, started: str, back_to: str, **arguments: Any) -> ResponseReturnValue:
    """Queue job ``kind`` for the shop from a page's button (``arguments`` besides the shop),
    audited as ``job.enqueue``; an htmx request gets the progress bar, a plain form post the
    ``started`` message and a redirect to ``back_to``.

    The audit entry is committed before the job is queued, so the job's first write never
    meets this request's on SQLite (the job run itself records who started it).
    """
    session = db()
    shop = default_shop(session)
    user = current_user._get_current_object()
    audit.record(session, "job.enqueue", user=user, target=f"shop:{shop.id}",
                 details={"kind": kind, **arguments}, ip=request.remote_addr)
    session.commit()
    job_id = enqueue(kind, config=current_config(), created_by=user.id, shop_id=shop.id, **arguments)
    if request.headers.get("HX-Request") == "true":
        status = job_status(job_id, current_config())
        assert status is not None, "a job run that was just queued exists"
        return render_progress(status)
    flash(started, "success")
    return redirect(back_to)


@bp.route("/<int:job_id>")
def progress(job_id: int) -> ResponseReturnValue:
    return render_progress(status_or_404(job_id))


@bp.route("/<int:job_id>.json")
def progress_json(job_id: int) -> ResponseReturnValue:
    return jsonify(status_or_404(job_id))
