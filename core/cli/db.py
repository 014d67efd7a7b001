"""``shopcrm db``: schema migrations."""
from __future__ import annotations

import click

from shopcrm import migrate
from shopcrm.cli.common import config
from shopcrm.db import get_engine


@click.group(help="Database schema.")
def db() -> None:
    pass


@db.command(help="Apply the core's and every installed plugin's migrations.")
def upgrade() -> None:
    cfg = config()
    engine = get_engine(cfg)
    migrate.upgrade(engine)
    click.echo(f"database at {engine.url.render_as_string(hide_password=True)} is up to date "
               f"({', '.join(sorted(migrate.current_heads(engine)))})")


@db.command(help="Show the applied revisions and whether any are pending.")
def status() -> None:
    engine = get_engine(config())
    heads = sorted(migrate.current_heads(engine))
    click.echo(f"applied: {', '.join(heads) or 'nothing'}")
    click.echo("pending: yes, run `shopcrm db upgrade`" if migrate.pending(engine) else "pending: none")


def register(cli: click.Group) -> None:
    cli.add_command(db)
