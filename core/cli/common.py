"""Helpers the command modules share."""
from __future__ import annotations

import json
from typing import Any

import click

from shopcrm.config import Config, load_config
from shopcrm.db import get_engine


def config() -> Config:
    return load_config()


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def require_schema(cfg: Config) -> None:
    """Fail with a clear message when the database has not been upgraded."""
    from shopcrm import migrate

    if migrate.pending(get_engine(cfg)):
        raise click.ClickException("the database schema is not up to date: run `shopcrm db upgrade` first")
