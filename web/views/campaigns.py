"""The campaign pages: the list, the wizard, a campaign's progress and report, and CSV exports.

* ``/campaigns/`` lists the shop's campaigns with their target and sent counts.
* ``/campaigns/new`` is the wizard, one page in four steps: the audience (a saved segment and
  its live count), the message (a saved template or text with ``${var}``, previewed as the SMS
  the phone shows, with its length, billed parts and estimated cost, updated by htmx while it
  is typed), the exclusions, control group and time to send, and a confirmation page with the
  summary. Its answers are checked by :func:`shopcrm.campaigns.create` itself (in a savepoint
  rolled back) before the confirmation is shown, and again when it is sent.
* ``/campaigns/<id>`` shows a campaign: its status, a progress bar polled while it sends, its
  messages by status, and the report (:mod:`shopcrm.campaign_report`) with its charts.
* ``/campaigns/sending-rules`` shows the shop's sending rules; admins change them there.

Every role may look; creating, sending, cancelling and exporting need an operator
(:data:`EDIT_ROLE`), changing the sending rules an admin. Each of those is audited.
"""
from __future__ import annotations

import uuid

from dataclasses import asdict
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from shopcrm import audit
from shopcrm.campaign_estimate import MessageEstimate, estimate_message
from shopcrm.campaign_overview import overview
from shopcrm.campaign_report import by_day, report
from shopcrm.campaigns import CampaignError, audience, by_submission, cancel, create, find, progress
from shopcrm.jobs import enqueue, job_status
from shopcrm.models import Campaign, Segment, Shop, Template, User
from shopcrm.registry import get_registry
from shopcrm.saved_segments import count_rules
from shopcrm.segment_rules import RuleError
from shopcrm.sending_policy import load as load_policy
from shopcrm.sending_policy import save as save_policy
from shopcrm.shops import default_shop
from shopcrm.web.access import role_required
from shopcrm.web.campaign_export import (EXPORT_ROLE, csv_download, recipient_labels, recipient_rows,
                                         report_labels, report_rows)
from shopcrm.web.campaign_form import CampaignForm, SendingRulesForm, to_local
from shopcrm.web.campaign_labels import (CAMPAIGN_STATUS_LABELS, CONTROL_FIGURES, FIGURES, campaign_status_label,
                                         format_figure, message_status_label, skip_reason_label)
from shopcrm.web.database import current_config, db
from shopcrm.web.masking import may_see_full_numbers

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

EDIT_ROLE = "operator"
"""The lowest role that may create, send and cancel campaigns."""
RULES_ROLE = "admin"
"""The lowest role that may change the shop's sending rules."""
SEND_JOB = "campaign.send"
STARTABLE = ("draft", "scheduled")
CANCELLABLE = ("draft", "scheduled", "sending")
ERROR_FIELDS = {"name": "name", "channel": "channel", "text": "text", "template": "template_id",
                "segment": "segment_id", "rules": "segment_id", "control": "control_percent", "subject": "subject"}
"""The wizard's field for each field a :class:`~shopcrm.campaigns.CampaignError` names."""


@bp.context_processor
def labels() -> dict[str, Any]:
    """What the campaign templates use to name statuses and reasons and to show figures."""
    return {"campaign_status_label": campaign_status_label, "message_status_label": message_status_label,
            "skip_reason_label": skip_reason_label, "format_figure": format_figure}


def _actor() -> User:
    user: User = current_user._get_current_object()
    return user


def _campaign_or_404(shop_id: int, campaign_id: int) -> Campaign:
    try:
        return find(db(), shop_id, campaign_id)
    except LookupError:
        abort(404)


def _form(shop: Shop, **kwargs: Any) -> CampaignForm:
    form = CampaignForm(timezone=shop.timezone, **kwargs)
    form.fill_choices(db(), shop.id)
    return form


# --- what the wizard shows beside the form ------------------------------------------------------


def _audience(shop_id: int, segment_id: int | None) -> dict[str, Any]:
    """The chosen segment and how many customers it has now (or why it cannot be counted)."""
    segment = db().get(Segment, segment_id) if segment_id else None
    if segment is None or segment.shop_id != shop_id:
        return {"segment": None, "count": None, "error": None}
    try:
        return {"segment": segment, "count": count_rules(db(), shop_id, segment.rules), "error": None}
    except RuleError as exc:  # a segmenter uninstalled since the segment was saved
        return {"segment": segment, "count": None, "error": str(exc)}


def _body(shop_id: int, form: CampaignForm) -> str:
    """The text the campaign will send: what was typed, else the chosen template's."""
    if form.text.data:
        return str(form.text.data)
    template = db().get(Template, form.template_id.data) if form.template_id.data else None
    return template.text if template is not None and template.shop_id == shop_id else ""


def _estimate(shop: Shop, form: CampaignForm, recipients: int | None) -> MessageEstimate | None:
    channel = form.channel.data or next(iter(get_registry().channels.items), None)
    body = _body(shop.id, form)
    if channel is None or not body:
        return None
    return estimate_message(db(), current_config(), shop.id, channel, body, recipients or 0)


def _variables() -> list[Any]:
    return sorted(get_registry().template_variables.items.values(), key=lambda v: v.name)


def unknown_message(estimate: MessageEstimate) -> str:
    """Why the text cannot be sent, in the user's language when it names unknown variables."""
    if estimate.unknown:
        return _("Unknown variable(s): %(names)s. Variables you can use: %(known)s.",
                 names=", ".join("${" + name + "}" for name in estimate.unknown),
                 known=", ".join("${" + v.name + "}" for v in _variables()))
    return estimate.error or ""


def _context(shop: Shop, form: CampaignForm) -> dict[str, Any]:
    found = _audience(shop.id, form.segment_id.data)
    estimate = _estimate(shop, form, found["count"])
    return {"form": form, "shop": shop, "audience": found, "estimate": estimate,
            "estimate_error": unknown_message(estimate) if estimate and estimate.error else None,
            "policy": load_policy(db(), shop.id), "variables": _variables(),
            "can_change_rules": current_user.can(RULES_ROLE)}


def _wizard(shop: Shop, form: CampaignForm, status: int = 200) -> ResponseReturnValue:
    return render_template("campaigns/new.html", **_context(shop, form)), status


# --- checking and creating ----------------------------------------------------------------------


def _create(shop: Shop, form: CampaignForm, submission: str | None = None) -> Campaign:
    return create(db(), shop.id, str(form.name.data), str(form.channel.data), text=form.body(),
                  subject=form.subject.data or None,
                  submission=submission, segment_id=form.segment_id.data, template_id=form.template_id.data,
                  control_share=form.control_share(), scheduled_at=form.scheduled_at(), created_by=_actor().id)


def _refused(shop: Shop, form: CampaignForm, error: CampaignError) -> None:
    """Put the core's refusal next to the field it names."""
    name, _sep, message = str(error).partition(": ")
    field = getattr(form, ERROR_FIELDS.get(name, "name"))
    if field is form.text:
        estimate = _estimate(shop, form, 0)
        message = unknown_message(estimate) if estimate is not None and estimate.error else message
    if field is form.subject and not form.subject.data:
        message = _("Write the subject: this channel sends email.")
    field.errors = [*field.errors, message or str(error)]


def _checked(shop: Shop, form: CampaignForm) -> bool:
    """The form's own checks, then the core's, in a savepoint rolled back: nothing is saved."""
    if not form.validate_on_submit():
        return False
    savepoint = db().begin_nested()
    try:
        _create(shop, form)
    except CampaignError as exc:
        _refused(shop, form, exc)
        return False
    finally:
        savepoint.rollback()
    return True


def _start(campaign: Campaign) -> int:
    """Queue the ``campaign.send`` job, audited first (and committed, as jobs.start_job does)."""
    audit.record(db(), "campaign.send", user=_actor(), target=f"campaign:{campaign.id}",
                 details={"name": campaign.name}, ip=request.remote_addr)
    db().commit()
    return enqueue(SEND_JOB, config=current_config(), created_by=_actor().id, campaign_id=campaign.id)


# --- pages --------------------------------------------------------------------------------------


@bp.route("/")
def index() -> ResponseReturnValue:
    shop = default_shop(db())
    rows = overview(db(), shop.id)
    db().commit()  # the default shop, when this visit created it
    return render_template("campaigns/index.html", rows=rows, can_edit=current_user.can(EDIT_ROLE),
                           channels=get_registry().channels.items)


@bp.route("/new")
@role_required(EDIT_ROLE)
def new() -> ResponseReturnValue:
    shop = default_shop(db())
    form = _form(shop, formdata=None)
    form.segment_id.data = request.args.get("segment", type=int)
    db().commit()
    return _wizard(shop, form)


@bp.route("/new", methods=["POST"])
@role_required(EDIT_ROLE)
def review() -> ResponseReturnValue:
    """Check the wizard's answers; the confirmation page, or the wizard again with what is wrong.
    The confirmation's "Change" button posts here with ``back`` to reopen the wizard as it was."""
    shop = default_shop(db())
    form = _form(shop)
    if "back" in request.form:
        return _wizard(shop, form)
    if not _checked(shop, form):
        return _wizard(shop, form, 422)
    context = _context(shop, form)
    context["template"] = db().get(Template, form.template_id.data) if form.template_id.data else None
    channel = get_registry().channels.items.get(str(form.channel.data))
    context["channel_label"] = str(channel.label) if channel else form.channel.data
    context["submission"] = uuid.uuid4().hex
    return render_template("campaigns/confirm.html", **context)


@bp.route("/", methods=["POST"])
@role_required(EDIT_ROLE)
def create_campaign() -> ResponseReturnValue:
    """Create the confirmed campaign, then start it, or leave it scheduled."""
    shop = default_shop(db())
    form = _form(shop)
    if not _checked(shop, form):
        return _wizard(shop, form, 422)
    submission = request.form.get("submission") or None
    repeated = by_submission(db(), shop.id, submission) if submission else None
    if repeated is not None:  # the confirmation posted twice: the first post made it
        return redirect(url_for("campaigns.detail", campaign_id=repeated.id))
    campaign = _create(shop, form, submission)
    audit.record(db(), "campaign.create", user=_actor(), target=f"campaign:{campaign.id}",
                 details={"name": campaign.name, "segment": campaign.segment_id, "channel": campaign.channel,
                          "control_share": campaign.control_share,
                          "scheduled_at": campaign.scheduled_at.isoformat() if campaign.scheduled_at else None},
                 ip=request.remote_addr)
    db().commit()
    if campaign.scheduled_at is not None:
        flash(_("Campaign %(name)s is scheduled.", name=campaign.name), "success")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    job_id = _start(campaign)
    flash(_("Campaign %(name)s is being sent.", name=campaign.name), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id, job=job_id))


@bp.route("/audience", methods=["POST"])
@role_required(EDIT_ROLE)
def audience_count() -> ResponseReturnValue:
    """The wizard's live count of the chosen segment (an htmx fragment)."""
    shop = default_shop(db())
    form = _form(shop)
    return render_template("campaigns/_audience.html", audience=_audience(shop.id, form.segment_id.data))


@bp.route("/preview", methods=["POST"])
@role_required(EDIT_ROLE)
def preview() -> ResponseReturnValue:
    """The wizard's message preview: the SMS as sent, its length, parts and cost (an htmx fragment)."""
    shop = default_shop(db())
    context = _context(shop, _form(shop))
    return render_template("campaigns/_message.html", **context)


def _job(job_id: int | None) -> dict[str, Any] | None:
    status = job_status(job_id, current_config()) if job_id else None
    return status if status is not None and status["kind"] == SEND_JOB else None


def _live(campaign: Campaign, job: dict[str, Any] | None) -> bool:
    """Whether the page keeps asking for the campaign's progress: while it sends, and while its
    send job has not failed and the campaign still reads as not started (a job that finished
    after this request began reading is seen by the next poll)."""
    if campaign.status == "sending":
        return True
    return campaign.status in STARTABLE and job is not None and job["status"] != "failed"


def _progress_context(campaign: Campaign, job_id: int | None) -> dict[str, Any]:
    job = _job(job_id)
    return {"campaign": campaign, "progress": progress(db(), campaign), "job": job, "job_id": job_id,
            "live": _live(campaign, job)}


@bp.route("/<int:campaign_id>")
def detail(campaign_id: int) -> ResponseReturnValue:
    shop = default_shop(db())
    campaign = _campaign_or_404(shop.id, campaign_id)
    started = campaign.status not in STARTABLE
    figures = report(db(), current_config(), campaign) if started else None
    context = _progress_context(campaign, request.args.get("job", type=int))
    count, count_error = None, None
    if not started:
        try:
            count = count_rules(db(), shop.id, audience(db(), campaign))
        except (CampaignError, RuleError) as exc:
            count_error = str(exc)
    estimate = (estimate_message(db(), current_config(), shop.id, campaign.channel, campaign.text, count or 0)
                if not started else None)
    days = by_day(db(), campaign) if started else []
    segment = db().get(Segment, campaign.segment_id) if campaign.segment_id else None
    channel = get_registry().channels.items.get(campaign.channel)
    return render_template(
        "campaigns/detail.html", **context, shop=shop, figures=figures, figure_list=FIGURES,
        control_figures=CONTROL_FIGURES, days=days,
        day_labels=[_("Day %(day)s", day=day["day"] + 1) for day in days],
        segment=segment, channel_label=str(channel.label) if channel else campaign.channel,
        audience_count=count, count_error=count_error, estimate=estimate,
        can_edit=current_user.can(EDIT_ROLE), can_export=current_user.can(EXPORT_ROLE),
        startable=campaign.status in STARTABLE, cancellable=campaign.status in CANCELLABLE,
        scheduled_local=to_local(campaign.scheduled_at, shop.timezone) if campaign.scheduled_at else None)


@bp.route("/<int:campaign_id>/progress")
def progress_fragment(campaign_id: int) -> ResponseReturnValue:
    """The progress bar and counts; the whole page again once the status the page shows changed."""
    campaign = _campaign_or_404(default_shop(db()).id, campaign_id)
    context = _progress_context(campaign, request.args.get("job", type=int))
    response = render_template("campaigns/_progress.html", **context)
    shown = request.args.get("shown")
    if shown in CAMPAIGN_STATUS_LABELS and shown != campaign.status:
        return response, 200, {"HX-Refresh": "true"}
    return response


@bp.route("/<int:campaign_id>/send", methods=["POST"])
@role_required(EDIT_ROLE)
def send(campaign_id: int) -> ResponseReturnValue:
    """Send a draft or a scheduled campaign now."""
    campaign = _campaign_or_404(default_shop(db()).id, campaign_id)
    if campaign.status not in STARTABLE:
        flash(_("Campaign %(name)s is %(status)s: it cannot be sent again.", name=campaign.name,
                status=campaign_status_label(campaign.status)), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    job_id = _start(campaign)
    flash(_("Campaign %(name)s is being sent.", name=campaign.name), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id, job=job_id))


@bp.route("/<int:campaign_id>/cancel", methods=["POST"])
@role_required(EDIT_ROLE)
def cancel_campaign(campaign_id: int) -> ResponseReturnValue:
    campaign = _campaign_or_404(default_shop(db()).id, campaign_id)
    try:
        skipped = cancel(db(), campaign)
    except CampaignError:
        db().rollback()
        flash(_("Campaign %(name)s is %(status)s: there is nothing to cancel.", name=campaign.name,
                status=campaign_status_label(campaign.status)), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    audit.record(db(), "campaign.cancel", user=_actor(), target=f"campaign:{campaign.id}",
                 details={"name": campaign.name, "skipped": skipped}, ip=request.remote_addr)
    db().commit()
    flash(_("Campaign %(name)s cancelled: %(count)s waiting messages will not be sent.", name=campaign.name,
            count=skipped), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/report.csv", methods=["POST"])
@role_required(EXPORT_ROLE)
def export_report(campaign_id: int) -> ResponseReturnValue:
    campaign = _campaign_or_404(default_shop(db()).id, campaign_id)
    filename = _("%(name)s report", name=campaign.name) + ".csv"
    return csv_download(campaign.id, "report", filename, report_rows(current_config(), report_labels()))


@bp.route("/<int:campaign_id>/recipients.csv", methods=["POST"])
@role_required(EXPORT_ROLE)
def export_recipients(campaign_id: int) -> ResponseReturnValue:
    shop = default_shop(db())
    campaign = _campaign_or_404(shop.id, campaign_id)
    filename = _("%(name)s recipients", name=campaign.name) + ".csv"
    rows = recipient_rows(shop.timezone, not may_see_full_numbers(), recipient_labels())
    return csv_download(campaign.id, "recipients", filename, rows)


@bp.route("/sending-rules", methods=["GET", "POST"])
def sending_rules() -> ResponseReturnValue:
    """The shop's sending rules: every role reads them, an admin changes them (audited)."""
    shop = default_shop(db())
    policy = load_policy(db(), shop.id)
    can_change = current_user.can(RULES_ROLE)
    if request.method == "POST" and not can_change:
        abort(403)
    form = SendingRulesForm(obj=policy if request.method == "GET" else None)
    if form.validate_on_submit():
        saved, errors = save_policy(db(), shop.id, form.values())
        for error in errors:
            name, _sep, message = error.partition(": ")
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [*field.errors, message]
        if not errors:
            audit.record(db(), "sending_rules.update", user=_actor(), target=f"shop:{shop.id}",
                         details={"before": asdict(policy), "after": asdict(saved)}, ip=request.remote_addr)
            db().commit()
            flash(_("Sending rules saved."), "success")
            return redirect(url_for("campaigns.sending_rules"))
    db().commit()  # the default shop, when this visit created it
    status = 422 if form.errors else 200
    return render_template("campaigns/sending_rules.html", form=form, policy=policy, can_change=can_change), status
