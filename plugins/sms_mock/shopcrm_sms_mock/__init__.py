"""ShopCRM SMS sandbox (短信沙箱): a gateway that keeps messages instead of sending them.

Operators try a campaign on it before paying for real SMS: every submission is stored
(``sms_mock_submission``), answered like a real gateway would (accepted, rejected, retry or
unknown, reproducibly under the install's settings and per-number business limits), receipted
after a delay by the job ``sms_mock.receipts``, and phones can reply from the inbox page.
Channel ``sms_mock``; pages under ``/plugins/sms_mock/``; command ``shopcrm sms-mock log``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import click
from flask import Blueprint, url_for
from flask_babel import gettext as _

from shopcrm import hookimpl
from shopcrm.channels import Channel
from shopcrm.models import User
from shopcrm_sms_mock import jobs  # noqa: F401  (declares the job kind on import)
from shopcrm_sms_mock import models  # noqa: F401  (the tables join the metadata)
from shopcrm_sms_mock.channel import MockSmsChannel


@hookimpl
def register_channels() -> Iterable[Channel]:
    return [MockSmsChannel()]


@hookimpl
def register_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def register_blueprints() -> Iterable[Blueprint]:
    from shopcrm_sms_mock.views import bp

    return [bp]


@hookimpl
def menu_items(user: User) -> Iterable[tuple[Any, str]]:
    return [(_("SMS sandbox"), url_for("sms_mock.index"))]


@hookimpl
def register_commands(cli: click.Group) -> None:
    from shopcrm_sms_mock.commands import register

    register(cli)
