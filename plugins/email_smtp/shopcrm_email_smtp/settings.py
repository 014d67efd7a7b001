"""The email channel's settings: the SMTP server, the sender, and the address of this ShopCRM
that unsubscribe links point to; kept per shop by :mod:`shopcrm.channel_settings` (the password
encrypted), and checked before they are saved (:func:`check`)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from flask_babel import gettext as _, lazy_gettext as _l

from shopcrm.channels import SettingsField
from shopcrm.emails import is_email

SECURITY = ("none", "starttls", "ssl")
"""``none``: plain SMTP; ``starttls``: plain, then upgraded to TLS (port 587); ``ssl``: TLS from
the first byte (port 465)."""

DEFAULT_UNSUBSCRIBE_TEXT = "不想再收到这些邮件？点击退订："
DEFAULT_SUBJECT = "您有一条新消息"

FIELDS: tuple[SettingsField, ...] = (
    SettingsField("price_per_part", _l("Price per email (yuan)"), required=False, default="0",
                  help=_l("What the mail service charges for one email, if anything; used to estimate "
                          "what a campaign costs.")),
    SettingsField("host", _l("SMTP server"), help=_l("Host name of the mail server, e.g. smtp.exmail.qq.com.")),
    SettingsField("port", _l("SMTP port"), default="587",
                  help=_l("587 for STARTTLS, 465 for SSL, 25 for plain SMTP.")),
    SettingsField("security", _l("Connection security"), default="starttls",
                  help=_l("none, starttls or ssl.")),
    SettingsField("username", _l("SMTP user name"), required=False,
                  help=_l("Leave empty when the server needs no log-in.")),
    SettingsField("password", _l("SMTP password"), secret=True, required=False),
    SettingsField("from_address", _l("From address"), help=_l("The address customers see the email come from.")),
    SettingsField("from_name", _l("From name"), required=False, help=_l("Usually the shop's name.")),
    SettingsField("reply_to", _l("Reply-to address"), required=False,
                  help=_l("Where customers' replies go, when not to the from address.")),
    SettingsField("public_url", _l("Public address of ShopCRM"),
                  help=_l("How customers reach this ShopCRM, e.g. https://crm.example.com: unsubscribe links point there.")),
    SettingsField("default_subject", _l("Subject when a message has none"), required=False,
                  default=DEFAULT_SUBJECT, help=_l("For care messages whose automation sets no subject.")),
    SettingsField("unsubscribe_text", _l("Unsubscribe line"), required=False, default=DEFAULT_UNSUBSCRIBE_TEXT,
                  help=_l("Put before the unsubscribe link at the end of every email.")),
    SettingsField("timeout", _l("Timeout (seconds)"), required=False, default="30",
                  help=_l("How long to wait for the mail server at each step.")),
    SettingsField("ca_file", _l("CA certificate file"), required=False,
                  help=_l("Only for a server whose certificate a private authority signed: the path of that authority's certificate on this machine.")),
)


def check(values: Mapping[str, str]) -> list[str]:
    """The problems of posted settings (only the fields posted are checked), each naming its field."""
    errors: list[str] = []
    labels = {field.name: field.label for field in FIELDS}
    port = values.get("port")
    if port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        errors.append(_("%(field)s must be a whole number from 1 to 65535.", field=labels["port"]))
    security = values.get("security")
    if security and security not in SECURITY:
        errors.append(_("%(field)s must be one of: %(choices)s.", field=labels["security"],
                        choices=", ".join(SECURITY)))
    for name in ("from_address", "reply_to"):
        if values.get(name) and not is_email(values[name]):
            errors.append(_("%(field)s is not an email address: %(value)s", field=labels[name], value=values[name]))
    public_url = values.get("public_url")
    if public_url and not public_url.startswith(("http://", "https://")):
        errors.append(_("%(field)s must start with http:// or https://.", field=labels["public_url"]))
    timeout = values.get("timeout")
    if timeout:
        try:
            seconds = float(timeout)
        except ValueError:
            seconds = 0
        if not 0 < seconds <= 600:
            errors.append(_("%(field)s must be a number of seconds from 1 to 600.", field=labels["timeout"]))
    ca_file = values.get("ca_file")
    if ca_file and not Path(ca_file).is_file():
        errors.append(_("%(field)s: no file at %(path)s.", field=labels["ca_file"], path=ca_file))
    return errors
