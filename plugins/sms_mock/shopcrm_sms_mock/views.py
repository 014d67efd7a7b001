"""The sandbox pages under ``/plugins/sms_mock/``.

* ``/``: what the sandbox received, newest first, in keyset pages (``?before=<row id>``),
  optionally for one ``?number=``; numbers masked for roles that may not see them, and how many
  duplicate sends the sandbox saw. Operators can send the due delivery receipts from here.
* ``/phones/<submission id>``: the inbox of the phone a submission went to (the number stays out
  of the address), with its replies; operators reply from it.
* ``/settings``: how the sandbox behaves; administrators.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from shopcrm import audit
from shopcrm.db import utcnow
from shopcrm.jobs import enqueue, job_status
from shopcrm.mobiles import normalise_mobile
from shopcrm.shops import default_shop
from shopcrm.web.access import role_required
from shopcrm.web.database import current_config, db
from shopcrm_sms_mock import behaviour, gateway, listing
from shopcrm_sms_mock.events import raise_events
from shopcrm_sms_mock.forms import ReplyForm, SettingsForm
from shopcrm_sms_mock.jobs import RECEIPTS
from shopcrm_sms_mock.models import HELD, Submission
from shopcrm_sms_mock.replies import record_reply

bp = Blueprint("sms_mock", __name__, template_folder="templates")

PAGE_SIZE = 50
QUICK_REPLIES = ("TD", "退订", "R")
STATUS_LABELS = {
    "accepted": _l("Accepted"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
    "rejected": _l("Rejected"),
    "dropped": _l("Not kept"),
}
"""How the pages name each submission status."""


@bp.context_processor
def _labels() -> dict[str, object]:
    return {"status_labels": STATUS_LABELS}


@bp.route("/")
def index() -> ResponseReturnValue:
    session = db()
    raw = (request.args.get("number") or "").strip()
    number = (normalise_mobile(raw)[0] or raw) if raw else None
    before = request.args.get("before", "")
    rows = listing.submissions(session, number=number, before=int(before) if before.isdigit() else None,
                               limit=PAGE_SIZE + 1)
    next_before = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    return render_template("sms_mock/index.html", rows=rows[:PAGE_SIZE], next_before=next_before,
                           number=raw, settings=behaviour.load(session),
                           duplicates=gateway.duplicate_count(session))


@bp.route("/phones/<int:submission_id>")
def phone(submission_id: int) -> ResponseReturnValue:
    session = db()
    number = _number_of(submission_id)
    received = session.scalars(select(Submission).where(Submission.number == number,
                                                        Submission.status.in_(HELD))
                               .order_by(Submission.id.desc()).limit(200)).all()
    return render_template("sms_mock/phone.html", submission_id=submission_id, number=number,
                           received=received, replies=listing.replies(session, number),
                           form=ReplyForm(), quick=QUICK_REPLIES)


@bp.route("/phones/<int:submission_id>/reply", methods=["POST"])
@role_required("operator")
def reply(submission_id: int) -> ResponseReturnValue:
    number = _number_of(submission_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        abort(400)
    text = form.text.data or (request.form.get("quick") or "").strip()
    if not text:
        flash(_("Type the reply first."), "error")
        return redirect(url_for("sms_mock.phone", submission_id=submission_id))
    session = db()
    event = record_reply(session, number, text, utcnow(), shop_id=default_shop(session).id)
    session.commit()
    raise_events([event])
    flash(_("The phone replied “%(text)s”.", text=event.text), "success")
    return redirect(url_for("sms_mock.phone", submission_id=submission_id))


@bp.route("/settings", methods=["GET", "POST"])
@role_required("admin")
def settings() -> ResponseReturnValue:
    session = db()
    form = SettingsForm()
    if request.method == "GET":
        form.fill(behaviour.load(session))
    elif form.validate_on_submit():
        try:
            chosen = behaviour.parse(form.values())
        except behaviour.BehaviourError as exc:
            message = (_("The three error shares add up to more than 100 percent.") if exc.field == behaviour.SHARES
                       else _("Enter a number in range."))
            target = form.transient_percent if exc.field == behaviour.SHARES else form[exc.field]
            target.errors = [message]
            flash(_("The settings were not saved: %(error)s", error=f"{target.label.text}: {message}"), "error")
        else:
            behaviour.save(session, chosen)
            audit.record(session, "sms_mock.settings", user=current_user._get_current_object(),
                         target="sms_mock", details=chosen.as_settings(), ip=request.remote_addr)
            session.commit()
            flash(_("Sandbox settings saved."), "success")
            return redirect(url_for("sms_mock.settings"))
    return render_template("sms_mock/settings.html", form=form)


@bp.route("/receipts", methods=["POST"])
@role_required("operator")
def receipts() -> ResponseReturnValue:
    """Send the due delivery receipts now (in this request unless jobs go to Redis)."""
    config = current_config()
    user_id = current_user.id
    db().commit()  # let go of this request's write transaction: the job writes from sessions of its own
    run_id = enqueue(RECEIPTS, config=config, created_by=user_id, wait=True)
    status = job_status(run_id, config) or {}
    result = status.get("result") or {}
    if status.get("status") == "finished":
        flash(_("Receipts sent: %(delivered)d delivered, %(failed)d failed.",
                delivered=result.get("delivered", 0), failed=result.get("failed", 0)), "success")
    elif status.get("status") == "failed":
        flash(_("The receipts could not be sent: %(error)s", error=status.get("error") or ""), "error")
    else:
        flash(_("Sending the receipts has started."), "success")
    return redirect(url_for("sms_mock.index"))


def _number_of(submission_id: int) -> str:
    number = db().scalar(select(Submission.number).where(Submission.id == submission_id))
    if number is None:
        abort(404)
    return number
