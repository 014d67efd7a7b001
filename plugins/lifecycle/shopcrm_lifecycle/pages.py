"""The life-stage pages (``/plugins/lifecycle/``): the funnel with the movement since the last
full run and a "Recompute now" button, and the settings page (``/plugins/lifecycle/settings``).

Every role may look; operators and administrators change the settings and recompute (each
audited). Every POST carries the CSRF token, checked by the core for the whole site.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from shopcrm import plugin_settings
from shopcrm.labels import last_runs
from shopcrm.shops import default_shop
from shopcrm.web.access import role_required
from shopcrm.web.database import db
from shopcrm.web.views.jobs import start_job
from shopcrm_lifecycle import funnel, links, settings_form
from shopcrm_lifecycle.stages import NAME, LifecycleSegmenter

bp = Blueprint("lifecycle", __name__, template_folder="templates", static_folder="static")

REFRESH_JOB = "labels.refresh"


@bp.route("/")
def index() -> ResponseReturnValue:
    """The funnel: customers per stage, their share, and who moved since the last full run."""
    session = db()
    shop = default_shop(session)
    runs = last_runs(session, shop.id, NAME, limit=1)
    page = render_template(
        "lifecycle/index.html", stages=funnel.stages(session, shop.id),
        movement=funnel.movement(session, shop.id), last_run=runs[0] if runs else None,
        config=LifecycleSegmenter().load_config(session, shop.id),
        segment_url=links.segment_url, stage_rules=links.stage_rules,
        may_change=current_user.can("operator"),
    )
    session.commit()  # the default shop, when this visit created it
    return page


@bp.get("/settings")
def settings() -> ResponseReturnValue:
    """The days that separate the stages; every role sees them, operators change them."""
    session = db()
    shop = default_shop(session)
    form = settings_form.from_config(LifecycleSegmenter().load_config(session, shop.id))
    session.commit()  # the default shop, when this visit created it
    return render_template("lifecycle/settings.html", form=form, may_change=current_user.can("operator"))


@bp.post("/settings")
@role_required("operator")
def save_settings() -> ResponseReturnValue:
    """Save the days, checked first; audited with what changed."""
    session = db()
    shop = default_shop(session)
    before = LifecycleSegmenter().load_config(session, shop.id)
    form = settings_form.parse(request.form)
    if form.config is None:
        return render_template("lifecycle/settings.html", form=form, may_change=True), 400
    if plugin_settings.save_changes(session, NAME, shop.id, form.config, settings_form.changes(before, form.config),
                                    current_user._get_current_object(), request.remote_addr):
        flash(_("Life stage settings saved. Recompute to apply them to the labels."), "success")
    else:
        flash(_("Nothing changed."), "success")
    session.commit()
    return redirect(url_for("lifecycle.settings"))


@bp.route("/recompute", methods=["POST"])
@role_required("operator")
def recompute() -> ResponseReturnValue:
    """Queue the ``labels.refresh`` job for the life stages; htmx shows its progress."""
    return start_job(REFRESH_JOB, _("Recomputing the life stages has started."), url_for("lifecycle.index"), segmenters=[NAME])


__all__ = ["bp"]
