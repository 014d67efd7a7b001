"""Small SQL building blocks that differ between SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import re
from functools import cached_property
from typing import Any, Iterable, Sequence

from sqlalchemy import (JSON, ColumnElement, Executable, Integer, Select, String, Table, Text, bindparam, cast, func,
                        literal, select)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

IDS = "ids"
"""The parameter name :func:`in_ids_param` binds."""


class IdList(list[int]):
    """Ids, each once and in order, as :func:`in_ids` and the others send them: made once by
    :func:`id_list` for a run whose statements all take the same ids (for 95,000 ids, sorting
    them and writing the JSON SQLite reads costs 60 ms each time). Not to be changed once made:
    its JSON is kept."""

    @cached_property
    def json(self) -> str:
        return json.dumps(self)


def id_list(ids: Iterable[int]) -> IdList:
    """``ids`` as an :class:`IdList` (itself when it is one already)."""
    return ids if isinstance(ids, IdList) else IdList(sorted({int(i) for i in ids}))


def in_ids(column: Any, ids: Iterable[int], dialect: str) -> ColumnElement[bool]:
    """``column IN ids`` with the ids as ONE parameter, however many there are (SQLite limits
    a statement to 32,766 parameters): ``json_each`` on SQLite, ``= ANY(array)`` on PostgreSQL."""
    values = id_list(ids)
    if dialect == "postgresql":
        return column == func.any(bindparam("ids", values, type_=ARRAY(Integer)))
    return column.in_(select(func.json_each(literal(values.json)).table_valued("value").c.value))


def id_rows(ids: Iterable[int], dialect: str) -> Any:
    """The ids as rows of a table-valued function (one column, ``value``), sent as ONE
    parameter like :func:`in_ids`: ``unnest`` of an array on PostgreSQL, ``json_each`` on
    SQLite. For asking which of many ids a query does not return, in SQL rather than by
    fetching every row it does return."""
    values = id_list(ids)
    if dialect == "postgresql":
        return func.unnest(bindparam("id_rows", values, type_=ARRAY(Integer))).table_valued("value").render_derived()
    return func.json_each(literal(values.json)).table_valued("value")


def in_texts(column: Any, values: Iterable[str], dialect: str) -> ColumnElement[bool]:
    """``column IN values`` for strings, as ONE parameter (see :func:`in_ids`): a long ``IN``
    list costs more to send and parse than the query takes to run."""
    texts = sorted({str(v) for v in values})
    if dialect == "postgresql":
        return column == func.any(bindparam(None, texts, type_=ARRAY(String)))
    return column.in_(select(func.json_each(literal(json.dumps(texts))).table_valued("value").c.value))


def in_ids_param(column: Any, dialect: str) -> ColumnElement[bool]:
    """``column IN (:ids)`` with the ids as one parameter named :data:`IDS` (its value from
    :func:`ids_value`), for statements compiled once and executed with different ids."""
    if dialect == "postgresql":
        return column == func.any(bindparam(IDS, type_=ARRAY(Integer)))
    return column.in_(select(func.json_each(bindparam(IDS)).table_valued("value").c.value))


def ids_value(ids: Iterable[int], dialect: str) -> Any:
    """The value of the ``ids`` parameter for :func:`in_ids_param`."""
    values = id_list(ids)
    return values if dialect == "postgresql" else values.json


def not_indexed(column: Any) -> ColumnElement[Any]:
    """A text ``column`` as an expression no index holds (``column || ''``), so that a condition
    on it is tested on each row an index search returns rather than becoming part of the search:
    ``customer_id IN (ids) AND status IN (four statuses)`` as one index search per customer
    instead of four."""
    return column.concat("")


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


_KEY = re.compile(r"^[a-z_][a-z0-9_]*$")


def json_numbers(dialect: str, **values: Any) -> ColumnElement[Any]:
    """A JSON object of numbers (or nulls) built in SQL, for labels written a million at a time.

    PostgreSQL writes it out as text: ``json_build_object`` looks up every argument's type on
    every row, which was half the cost of choosing a million RFM labels. Keys are plain names."""
    for key in values:
        if not _KEY.match(key):
            raise ValueError(f"json_numbers: {key!r} is not a plain name")
    if dialect != "postgresql":
        return json_object(dialect, **values)
    text: Any = None
    for n, (key, value) in enumerate(values.items()):
        part = literal(('{"' if n == 0 else ', "') + key + '": ', String) + func.coalesce(cast(value, Text), "null")
        text = part if text is None else text + part
    return cast(text + literal("}", String), JSON) if text is not None else cast(literal("{}", String), JSON)
