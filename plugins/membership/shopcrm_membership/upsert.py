"""``INSERT … SELECT`` that updates (or skips) rows already there, on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert_from_select(session: Session, table: Table, columns: Sequence[str], rows: Select[Any],
                       conflict: Sequence[str], update: Sequence[str] = ()) -> None:
    """Insert ``rows`` into ``columns`` of ``table``; a row clashing on the unique ``conflict``
    columns updates ``update`` from the new row instead, or is skipped when ``update`` is empty."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = insert.from_select(list(columns), rows)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict),
            set_={name: statement.excluded[name] for name in update},
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    session.execute(statement)
