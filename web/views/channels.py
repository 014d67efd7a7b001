"""The channel settings page: every registered channel's settings for the current shop.

One form per channel, its fields from :func:`shopcrm.channel_settings.fields` (the core's price
and throttle first). Secrets are password inputs that are always empty, with a note saying
whether one is stored: left blank they keep it. Saving validates all or nothing and is audited
without secret values (:func:`shopcrm.channel_settings.save`). Admins only (the admin blueprint).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from shopcrm import channel_settings
from shopcrm.channels import Channel, SettingsField
from shopcrm.shops import default_shop
from shopcrm.web.database import current_config, db


@dataclass(slots=True)
class ChannelForm:
    """One channel's form on the page: its fields, the values to show, and its errors."""

    channel: Channel
    fields: list[SettingsField]
    values: dict[str, str]
    """Per field: the saved value (or default), what was typed after an error; for a secret,
    whether it is set."""
    errors: list[str] = field(default_factory=list)


def _forms(shop_id: int, posted: Channel | None = None, errors: list[str] | None = None) -> list[ChannelForm]:
    """A form per registered channel; the one just posted with errors keeps what was typed
    (never a typed secret)."""
    forms = []
    for channel in channel_settings.channels():
        form = ChannelForm(channel, channel_settings.fields(channel),
                           channel_settings.display(db(), channel.name, shop_id))
        if posted is not None and channel.name == posted.name:
            form.values.update({f.name: request.form.get(f.name, "") for f in form.fields if not f.secret})
            form.errors = errors or []
        forms.append(form)
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
    values = {f.name: request.form.get(f.name, "") for f in channel_settings.fields(channel)}
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
