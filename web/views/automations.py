"""The automations page: care messages along each order's life, switched on and off per shop.

* ``/automations/`` lists every trigger of every plugin with its switch, delay, channel and what
  happens at night, its figures for the last 7 and 30 days (:mod:`shopcrm.automation_report`:
  sent, delivered, and what it brought back), and the messages sent per day over 30 days as a
  chart with the same figures in a table beside it.
* ``/automations/<name>`` shows one trigger: its settings form (delay, channel, template with
  the variables it may use and a live preview, night-time choice, the trigger's own options)
  and its figures. Posting the form switches it on, or changes it while it is on;
  ``/automations/<name>/off`` switches it off (its messages not sent yet are cancelled).
* ``/automations/<name>/preview`` is the preview htmx refreshes while the template is typed.

Every role may look and preview; switching and changing need an operator (:data:`EDIT_ROLE`)
and are audited (:mod:`shopcrm.automation_changes`).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from shopcrm import channel_settings, template_store
from shopcrm.automation_changes import switch_off, switch_on
from shopcrm.automation_report import PERIODS, AutomationFigures, figures, sent_by_day
from shopcrm.automation_store import AutomationError, AutomationState, state, states
from shopcrm.models import User
from shopcrm.registry import get_registry
from shopcrm.sending_policy import load as load_policy
from shopcrm.shops import default_shop
from shopcrm.template_preview import preview
from shopcrm.web.access import role_required
from shopcrm.web.automation_form import NIGHT_LABELS, OPTION_PREFIX, AutomationForm
from shopcrm.web.automation_labels import delay_text, money, rate, when_text
from shopcrm.web.database import current_config, db

bp = Blueprint("automations", __name__, url_prefix="/automations")

EDIT_ROLE = "operator"
"""The lowest role that may switch automations on and off and change them."""
CHART_DAYS = 30


@bp.context_processor
def labels() -> dict[str, Any]:
    """What the automation templates use to word delays, events and figures."""
    channels = {channel.name: channel.label for channel in channel_settings.channels()}
    return {"delay_text": delay_text, "when_text": when_text, "money": money, "rate": rate,
            "night_labels": NIGHT_LABELS, "channel_labels": channels, "option_prefix": OPTION_PREFIX,
            "form_for": AutomationForm.from_state}


def _actor() -> User:
    user: User = current_user._get_current_object()
    return user


def _state_or_404(shop_id: int, name: str) -> AutomationState:
    try:
        return state(db(), shop_id, name)
    except AutomationError:
        abort(404)


def _figures(shop_id: int) -> dict[int, dict[str, AutomationFigures]]:
    triggers = get_registry().triggers.items.values()
    return {days: figures(db(), shop_id, triggers, days) for days in PERIODS}


@bp.route("/")
def index() -> ResponseReturnValue:
    shop = default_shop(db())
    found = states(db(), shop.id)
    chart = sent_by_day(db(), shop.id, CHART_DAYS, shop.timezone)
    db().commit()  # the default shop, when this visit created it
    return render_template("automations/index.html", states=found, figures=_figures(shop.id), periods=PERIODS,
                           chart=chart, attribution_days=load_policy(db(), shop.id).attribution_days,
                           can_edit=current_user.can(EDIT_ROLE))


def _detail(current: AutomationState, form: AutomationForm, status: int = 200) -> ResponseReturnValue:
    shop = default_shop(db())
    result = preview(db(), current_config(), shop.id, form.template_text, marketing=current.marketing,
                     channel_name=form.channel or None, subject=form.subject)
    variables = sorted(template_store.variables().values(), key=lambda v: v.name)
    mine = {days: found[current.trigger] for days, found in _figures(shop.id).items()}
    return render_template("automations/detail.html", current=current, form=form, result=result,
                           variables=variables, figures=mine, periods=PERIODS,
                           attribution_days=load_policy(db(), shop.id).attribution_days,
                           channels=channel_settings.channels(), subject_channels=channel_settings.subject_channels(),
                           can_edit=current_user.can(EDIT_ROLE)), status


@bp.route("/<name>")
def detail(name: str) -> ResponseReturnValue:
    current = _state_or_404(default_shop(db()).id, name)
    return _detail(current, AutomationForm.from_state(current))


@bp.route("/<name>", methods=["POST"])
@role_required(EDIT_ROLE)
def save(name: str) -> ResponseReturnValue:
    shop = default_shop(db())
    current = _state_or_404(shop.id, name)
    form = AutomationForm.from_post(current, request.form)
    settings = form.settings(name)
    if settings is None:
        return _detail(current, form, status=422)
    try:
        made = switch_on(db(), shop.id, name, settings, actor=_actor(), ip=request.remote_addr)
    except AutomationError as exc:  # a rule of the store's the form does not check itself
        db().rollback()
        field = str(exc).partition(":")[0]
        form.errors[field] = _("This setting cannot be saved: %(error)s", error=str(exc))
        return _detail(_state_or_404(shop.id, name), form, status=422)
    db().commit()
    message = (_("%(name)s saved.", name=made.label) if current.enabled
               else _("%(name)s is switched on.", name=made.label))
    flash(message, "success")
    return redirect(url_for("automations.detail", name=name))


@bp.route("/<name>/off", methods=["POST"])
@role_required(EDIT_ROLE)
def off(name: str) -> ResponseReturnValue:
    shop = default_shop(db())
    current = _state_or_404(shop.id, name)
    switch_off(db(), shop.id, name, actor=_actor(), ip=request.remote_addr)
    db().commit()
    flash(_("%(name)s is switched off; its messages not sent yet are cancelled.", name=current.label), "success")
    back_to_list = request.form.get("next") == "index"
    return redirect(url_for("automations.index") if back_to_list else url_for("automations.detail", name=name))


@bp.route("/<name>/preview", methods=["POST"])
def preview_fragment(name: str) -> ResponseReturnValue:
    """The template's preview for htmx: the SMS with example values, its length and parts."""
    shop = default_shop(db())
    current = _state_or_404(shop.id, name)
    result = preview(db(), current_config(), shop.id, request.form.get("template_text") or "",
                     marketing=current.marketing, channel_name=request.form.get("channel") or None,
                     subject=request.form.get("subject"))
    return render_template("automations/_preview.html", result=result)
