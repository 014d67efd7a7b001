"""The settings page: the shop's name and SMS signature, and recomputing customer totals."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from shopcrm.shops import default_shop
from shopcrm.web import shop_settings
from shopcrm.web.database import db
from shopcrm.web.views.jobs import start_job

REFRESH_JOB = "rollups.refresh"


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class SettingsForm(FlaskForm):
    name = StringField(_l("Shop name"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the shop's name.")),
        Length(max=shop_settings.NAME_MAX,
               message=_l("The shop name can have at most %(max)d characters.",
                          max=shop_settings.NAME_MAX)),
    ])
    sms_signature = StringField(_l("SMS signature"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the SMS signature.")),
        Length(min=shop_settings.SIGNATURE_MIN, max=shop_settings.SIGNATURE_MAX,
               message=_l("The SMS signature needs %(min)d to %(max)d characters.",
                          min=shop_settings.SIGNATURE_MIN, max=shop_settings.SIGNATURE_MAX)),
    ])

    def validate_sms_signature(self, field: StringField) -> None:
        if field.data and any(bracket in field.data for bracket in shop_settings.SIGNATURE_BRACKETS):
            raise ValidationError(_("Leave out the 【】 brackets: they are added to every message "
                                    "automatically."))


def settings_page() -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    form = SettingsForm(obj=shop if request.method == "GET" else None)
    if form.validate_on_submit():
        if shop_settings.name_taken(session, shop, form.name.data):
            form.name.errors = [_("Another shop is already named %(name)s.", name=form.name.data)]
        else:
            changes = shop_settings.update_shop(session, current_user._get_current_object(), shop,
                                                form.name.data, form.sms_signature.data,
                                                request.remote_addr)
            session.commit()
            flash(_("Settings saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("admin.settings"))
    session.commit()  # the default shop, when this visit created it
    return render_template("admin/settings.html", form=form, shop=shop,
                           preview=shop_settings.signature_preview(shop.sms_signature))


def refresh_totals() -> ResponseReturnValue:
    """Queue the recomputation of every customer's totals; htmx shows its progress bar."""
    return start_job(REFRESH_JOB, _("Recomputing customer totals has started."), url_for("admin.settings"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/settings", "settings", settings_page, methods=["GET", "POST"])
    bp.add_url_rule("/settings/refresh-totals", "settings_refresh_totals", refresh_totals,
                    methods=["POST"])
