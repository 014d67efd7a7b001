"""The RFM page (``/plugins/rfm/``): the R×F heat map, the class table, the settings and a
"Recompute now" button; and the customers of one cell or class (``/plugins/rfm/customers``).

Every role may look; operators and administrators change the settings and recompute (each
audited). Every POST carries the CSRF token, checked by the core for the whole site.
"""
from __future__ import annotations

from typing import Any

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
from shopcrm_rfm import figures, links, members, settings_form
from shopcrm_rfm.classes import CN8, EN11
from shopcrm_rfm.segmenter import NAME, RfmSegmenter

bp = Blueprint("rfm", __name__, template_folder="templates", static_folder="static")

REFRESH_JOB = "labels.refresh"


def model_classes(model: str) -> list[tuple[str, str]]:
    """``(value, description)`` of the model's classes, in the model's order."""
    if model == "en11":
        return list(EN11)
    return [(value, description) for value, *_flags, description in CN8]


@bp.route("/")
def index() -> ResponseReturnValue:
    """The heat map, the class table, the last run and the settings."""
    session = db()
    shop = default_shop(session)
    config = RfmSegmenter().load_config(session, shop.id)
    session.commit()  # the default shop, when this visit created it
    return render_index(shop.id, config, settings_form.from_config(config))


def render_index(shop_id: int, config: dict[str, Any], form: settings_form.SettingsForm,
                 status: int = 200) -> ResponseReturnValue:
    session = db()
    model = config.get("model", "cn8")
    groups = figures.cached_groups(session, shop_id)
    runs = last_runs(session, shop_id, NAME, limit=1)
    return render_template(
        "rfm/index.html", grid=figures.grid(groups), classes=figures.class_table(groups, model_classes(model)),
        model=model,
        last_run=runs[0] if runs else None, form=form, segment_url=links.segment_url,
        class_rules=links.class_rules,
        may_change=current_user.can("operator"),
    ), status


@bp.route("/settings", methods=["POST"])
@role_required("operator")
def save_settings() -> ResponseReturnValue:
    """Save the shop's RFM settings, checked first; audited with what changed."""
    session = db()
    shop = default_shop(session)
    before = RfmSegmenter().load_config(session, shop.id)
    form = settings_form.parse(request.form)
    if form.config is None:
        flash(_("The settings were not saved: correct the fields marked below."), "error")
        return render_index(shop.id, before, form, status=400)
    if plugin_settings.save_changes(session, NAME, shop.id, form.config, settings_form.changes(before, form.config),
                                    current_user._get_current_object(), request.remote_addr):
        flash(_("RFM settings saved. Recompute to apply them to the labels."), "success")
    else:
        flash(_("Nothing changed."), "success")
    session.commit()
    return redirect(url_for("rfm.index"))


@bp.route("/recompute", methods=["POST"])
@role_required("operator")
def recompute() -> ResponseReturnValue:
    """Queue the ``labels.refresh`` job for the RFM segmenter; htmx shows its progress."""
    return start_job(REFRESH_JOB, _("Recomputing the RFM labels has started."), url_for("rfm.index"), segmenters=[NAME])


@bp.route("/customers")
def customers() -> ResponseReturnValue:
    """The customers of one class (``?value=``) or one grid cell (``?r=&f=``), by pages."""
    selection = members.Selection.from_args(request.args)
    if selection is None:
        return redirect(url_for("rfm.index"))
    session = db()
    shop = default_shop(session)
    after_raw = request.args.get("after", "")
    after = int(after_raw) if after_raw.isdigit() else None
    page = members.members(session, shop.id, selection, after)
    session.commit()
    return render_template("rfm/customers.html", selection=selection, page=page,
                           first_page=after is None, segment_url=links.segment_url,
                           class_rules=links.class_rules)


__all__ = ["bp", "model_classes"]
