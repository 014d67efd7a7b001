"""ShopCRM email channel (邮件渠道): campaigns and care messages sent through an SMTP server.

Registers :class:`~shopcrm_email_smtp.channel.SmtpEmailChannel` (channel ``email_smtp``, kind
``email``: the core addresses customers by their email address) and the public unsubscribe page
under ``/plugins/email_smtp/unsubscribe/<token>`` that every email links to. ``docs/email_smtp.md``
is the guide.
"""
from __future__ import annotations

from typing import Iterable

from flask import Blueprint

from shopcrm import hookimpl
from shopcrm.channels import Channel
from shopcrm_email_smtp.channel import SmtpEmailChannel


@hookimpl
def register_channels() -> Iterable[Channel]:
    return [SmtpEmailChannel()]


@hookimpl
def register_blueprints() -> Iterable[Blueprint]:
    from shopcrm.web import csrf
    from shopcrm_email_smtp.views import bp, confirm  # the web UI only when a web app asks for it

    # Mail programs' one-click unsubscribe (RFC 8058) posts without a session or a form token:
    # the signed token in the address is its credential. That one view checks the page form's
    # CSRF token itself.
    csrf.exempt(confirm)
    return [bp]
