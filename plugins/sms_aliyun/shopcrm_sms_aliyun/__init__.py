"""ShopCRM Aliyun SMS plugin: the ``sms_aliyun`` channel (阿里云短信, Dysmsapi 2017-05-25).

Registers :class:`~shopcrm_sms_aliyun.channel.AliyunSmsChannel`, its table of received pushes
(an Alembic branch of its own) and the push endpoints under ``/plugins/sms_aliyun/`` that
Aliyun calls with delivery receipts and replies, and ``shopcrm sms_aliyun callback-urls``
that prints their addresses. ``docs/sms_aliyun.md`` is the guide.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import click
from flask import Blueprint

from shopcrm import hookimpl
from shopcrm.channels import Channel
from shopcrm_sms_aliyun import models  # noqa: F401  (the pushes table joins the metadata)
from shopcrm_sms_aliyun.channel import AliyunSmsChannel


@hookimpl
def register_channels() -> Iterable[Channel]:
    return [AliyunSmsChannel()]


@hookimpl
def register_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def register_blueprints() -> Iterable[Blueprint]:
    from shopcrm.web import csrf
    from shopcrm_sms_aliyun.views import bp  # the web UI only when a web app asks for it

    csrf.exempt(bp)  # Aliyun's pushes have no session and no form: the token is the credential
    return [bp]


@hookimpl
def register_commands(cli: click.Group) -> None:
    from shopcrm_sms_aliyun.commands import register

    register(cli)
