"""The channel settings page: every registered channel's settings for the current shop.

One form per channel, its fields from :func:`shopcrm.channel_settings.fields` (the core's price
and throttle first). Secrets are password inputs that are always empty, with a note saying
whether one is stored: left blank they keep it. Saving validates all or nothing and is audited
without secret values (:func:`shopcrm.channel_settings.save`). Admins only (the admin blueprint).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from shopcrm import channel_settings
from shopcrm.channels import Channel
from shopcrm.shops import default_shop
from shopcrm.web.database import current_config, db


def _forms(shop_id: int, posted: Channel | None = None, errors: list[str] | None = None) -> list[dict[str, Any]]:
    """What the page shows per channel: its fields and values, and for the channel just posted
    with errors, those errors and the values typed (never a typed secret)."""
    forms = []
    for channel in channel_settings.channels():
        fields = channel_settings.fields(channel)
        shown = channel_settings.display(db(), channel.name, shop_id)
        values = dict(shown)
        channel_errors: list[str] = []
        if posted is not None and channel.name == posted.name:
            values.update({f.name: request.form.get(f.name, "") for f in fields if not f.secret})
            channel_errors = errors or []
        forms.append({"channel": channel, "fields": fields, "values": values, "shown": shown,
                      "errors": channel_errors})
    return forms


def channels_page() -> ResponseReturnValue:
    shop = default_shop(db())
    forms = _forms(shop.id)
    db().commit()  # the default shop, when this visit created it
    return render_template("admin/channels.html", forms=forms, shop=shop)


def save_channel(name: str) -> ResponseReturnValue:
    try:
        channel = channel_settings.get_channel(name)
    except LookupError:
        abort(404)
    shop = default_shop(db())
    values = {field.name: request.form.get(field.name, "") for field in channel_settings.fields(channel)}
    errors = channel_settings.save(db(), current_config(), channel.name, shop.id, values,
                                   actor=current_user._get_current_object(), ip=request.remote_addr)
    if errors:
        db().rollback()
        return render_template("admin/channels.html", forms=_forms(shop.id, channel, errors), shop=shop), 422
    db().commit()
    flash(_("The settings of %(channel)s are saved.", channel=channel.label), "success")
    return redirect(url_for("admin.channels") + f"#channel-{channel.name}")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/channels", "channels", channels_page)
    bp.add_url_rule("/channels/<name>", "save_channel", save_channel, methods=["POST"])
