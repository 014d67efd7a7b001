"""``shopcrm tokens``: API tokens a shop system pushes orders with."""
from __future__ import annotations

import click
from sqlalchemy import select

from shopcrm import audit
from shopcrm.api_tokens import create_token, revoke_token
from shopcrm.cli.common import config, echo_json, require_schema, shop_id
from shopcrm.db import session_scope
from shopcrm.models import ApiToken



@click.group(help="API tokens for /api/v1.")
def tokens() -> None:
    pass


@tokens.command("create", help="Make a token; it is printed once and cannot be shown again.")
@click.argument("name")
@click.option("--shop", default=None, help="Shop name (default: the first shop).")
def create(name: str, shop: str | None) -> None:
    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        try:
            new = create_token(session, shop_id(session, shop), name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        audit.record(session, "token.create", target=f"token:{new.id}", details={"name": name, "via": "cli"},
                     username="cli")
    click.echo(new.token)
    click.echo("keep it safe: it is shown only this once", err=True)


@tokens.command("list", help="Tokens of a shop (never the secrets).")
@click.option("--shop", default=None)
@click.option("--json", "as_json", is_flag=True)
def list_tokens(shop: str | None, as_json: bool) -> None:
    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        rows = [
            {"id": t.id, "name": t.name, "prefix": t.prefix + "…", "created_at": t.created_at.isoformat(),
             "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
             "revoked": t.revoked_at is not None}
            for t in session.scalars(select(ApiToken).where(ApiToken.shop_id == shop_id(session, shop))
                                     .order_by(ApiToken.id))
        ]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        state = "revoked" if row["revoked"] else f"last used {row['last_used_at'] or 'never'}"
        click.echo(f"{row['id']:>4}  {row['prefix']:<14} {row['name']:<24} {state}")


@tokens.command("revoke", help="Revoke a token by its id.")
@click.argument("token_id", type=int)
@click.option("--shop", default=None)
def revoke(token_id: int, shop: str | None) -> None:
    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        if not revoke_token(session, token_id, shop_id(session, shop)):
            raise click.ClickException(f"no live token {token_id} in this shop")
        audit.record(session, "token.revoke", target=f"token:{token_id}", details={"via": "cli"}, username="cli")
    click.echo(f"token {token_id} revoked")


def register(cli: click.Group) -> None:
    cli.add_command(tokens)
