"""Small SQL building blocks that differ between SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable

from sqlalchemy import ColumnElement, Integer, bindparam, cast, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY


def in_ids(column: Any, ids: Iterable[int], dialect: str) -> ColumnElement[bool]:
    """``column IN ids`` with the ids as ONE parameter, however many there are (SQLite limits
    a statement to 32,766 parameters): ``json_each`` on SQLite, ``= ANY(array)`` on PostgreSQL."""
    values = sorted({int(i) for i in ids})
    if dialect == "postgresql":
        return column == func.any(bindparam("ids", values, type_=ARRAY(Integer)))
    return column.in_(select(func.json_each(literal(json.dumps(values))).table_valued("value").c.value))


def whole_days_since(moment: dt.datetime, column: Any, dialect: str) -> ColumnElement[int]:
    """Whole days from ``column`` to ``moment`` (both naive UTC), rounded down."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", literal(moment) - column) / 86400), Integer)
    return cast(func.julianday(literal(moment.isoformat(" "))) - func.julianday(column), Integer)


def json_object(dialect: str, **values: Any) -> ColumnElement[Any]:
    """A JSON object built in SQL from named expressions."""
    args: list[Any] = []
    for key, value in values.items():
        args += [literal(key), value]
    return (func.json_build_object if dialect == "postgresql" else func.json_object)(*args)
