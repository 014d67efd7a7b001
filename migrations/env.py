"""Alembic environment for ShopCRM: the core's revisions and every plugin's versions folder.

Run through ``shopcrm db upgrade`` (see :mod:`shopcrm.migrate`), which passes the connection
and the version locations; this file does not read ``alembic.ini``.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from shopcrm.migrate import target_metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=False,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata(),
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `shopcrm db upgrade`")
    run_migrations(connection)
