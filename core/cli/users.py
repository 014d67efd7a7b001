"""``shopcrm users``: accounts for the web UI."""
from __future__ import annotations

import sys

import click
from sqlalchemy import select

from shopcrm import audit
from shopcrm.accounts import AccountError, create_user, set_password
from shopcrm.cli.common import config, echo_json, require_schema
from shopcrm.db import session_scope
from shopcrm.models import ROLES, User


def _read_password(password_stdin: bool) -> str:
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group(help="User accounts.")
def users() -> None:
    pass


@users.command("create", help="Create a user; the password is read from a prompt or standard input.")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--locale", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(name: str, role: str, locale: str, password_stdin: bool) -> None:
    cfg = config()
    require_schema(cfg)
    password = _read_password(password_stdin)
    try:
        with session_scope(cfg) as session:
            user = create_user(session, name, password, role, locale)
            audit.record(session, "user.create", target=f"user:{user.username}",
                         details={"role": role, "via": "cli"}, username="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created user {name} with role {role}")


@users.command("set-password", help="Set a user's password (from a prompt or standard input).")
@click.argument("name")
@click.option("--password-stdin", is_flag=True)
def set_password_cmd(name: str, password_stdin: bool) -> None:
    cfg = config()
    require_schema(cfg)
    password = _read_password(password_stdin)
    try:
        with session_scope(cfg) as session:
            user = session.scalar(select(User).where(User.username == name))
            if user is None:
                raise click.ClickException(f"no user named {name!r}")
            set_password(user, password)
            audit.record(session, "user.password", target=f"user:{name}", details={"via": "cli"},
                         username="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"password of {name} changed")


@users.command("list", help="List users and their roles.")
@click.option("--json", "as_json", is_flag=True)
def list_users(as_json: bool) -> None:
    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        rows = [
            {"name": u.username, "role": u.role, "active": u.active,
             "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None}
            for u in session.scalars(select(User).order_by(User.username))
        ]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']:<24} {row['role']:<9} {'active' if row['active'] else 'disabled'}")


def register(cli: click.Group) -> None:
    cli.add_command(users)
