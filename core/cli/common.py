"""Helpers the command modules share."""
from __future__ import annotations

import json
from typing import Any

import click

from sqlalchemy.orm import Session

from shopcrm.config import SECRET_KEY_SETTING, Config, ConfigError, load_config
from shopcrm.db import get_engine
from shopcrm.shops import find_shop


def config() -> Config:
    """The configuration from the environment; a ``SHOPCRM_SECRET_KEY`` that cannot be used stops
    the command here, with the reason, rather than in the middle of its work."""
    cfg = load_config()
    if cfg.extra.get(SECRET_KEY_SETTING):
        try:
            cfg.secret_key()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
    return cfg


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def require_schema(cfg: Config) -> None:
    """Fail with a clear message when the database has not been upgraded."""
    from shopcrm import migrate

    if migrate.pending(get_engine(cfg)):
        raise click.ClickException("the database schema is not up to date: run `shopcrm db upgrade` first")


def shop_id(session: Session, name: str | None) -> int:
    """The id of the shop named by a ``--shop`` option (the first shop when none is given)."""
    try:
        return find_shop(session, name).id
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None


def rules_option(text: str, hint: str = "--rules") -> Any:
    """The JSON of a ``--rules`` option, or a usage error saying why it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=hint) from None
