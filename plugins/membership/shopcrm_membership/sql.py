"""SQL building blocks of the membership statements, on SQLite and PostgreSQL.

The statements are built once per shape and cached (see :func:`functools.lru_cache` in the
modules using these), with every value a bound parameter, so that an order event costs a few
executions of already compiled SQL rather than building the statements anew each time.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from sqlalchemy import ColumnElement, Executable, Integer, Select, Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

IDS = "ids"


def in_ids_param(column: Any, dialect: str) -> ColumnElement[bool]:
    """``column IN (:ids)`` with the ids as one parameter (see :func:`ids_value`): an array on
    PostgreSQL, a JSON list read with ``json_each`` on SQLite."""
    if dialect == "postgresql":
        return column == func.any(bindparam(IDS, type_=ARRAY(Integer)))
    return column.in_(select(func.json_each(bindparam(IDS)).table_valued("value").c.value))


def ids_value(ids: Iterable[int], dialect: str) -> Any:
    """The value of the ``ids`` parameter for :func:`in_ids_param`."""
    values = sorted({int(i) for i in ids})
    return values if dialect == "postgresql" else json.dumps(values)


def upsert_from_select(dialect: str, table: Table, columns: Sequence[str], rows: Select[Any],
                       conflict: Sequence[str], update: Sequence[str] = ()) -> Executable:
    """``INSERT INTO table (columns) SELECT rows``; a row clashing on the unique ``conflict``
    columns updates ``update`` from the new row instead, or is skipped when ``update`` is empty."""
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = insert.from_select(list(columns), rows)
    if update:
        return statement.on_conflict_do_update(
            index_elements=list(conflict),
            set_={name: statement.excluded[name] for name in update},
        )
    return statement.on_conflict_do_nothing(index_elements=list(conflict))


def shop_is(column: Any, scoped: bool) -> ColumnElement[bool]:
    """``column = :shop_id``; for statements scoped to a few ids, written so that the
    database looks rows up by those ids instead of reading the whole shop through an index
    on the shop (SQLite would otherwise prefer that index)."""
    return (column + 0 if scoped else column) == bindparam("shop_id", type_=Integer)
