"""Writing many rows with one bulk Core INSERT, converting values once a batch.

SQLAlchemy's own executemany builds and converts the parameters of every row through the
column types (dates to text on SQLite, JSON to text), which for the sandbox's 100-row batches
costs more CPU than the database's work. :class:`BulkInsert` compiles the INSERT once per
dialect, converts each distinct date once per batch (a batch shares one submission time and one
due time) and every other value that needs it with the type's own bind processor, then hands
the rows to the driver's ``executemany``. What is stored is exactly what SQLAlchemy would store.
(One INSERT with a VALUES row per row was tried for PostgreSQL: psycopg then spends twice the
CPU converting a thousand named parameters, so executemany it is, on every database.)
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy import Connection, Table, insert
from sqlalchemy.engine import Dialect


class BulkInsert:
    """An INSERT of ``columns`` into ``table``, run as one driver ``executemany`` per call."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self._table = table
        self._columns = tuple(columns)
        self._plans: dict[tuple[str, str], _Plan] = {}

    def __call__(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (each a mapping with every column) in ``connection``'s transaction."""
        if not rows:
            return
        dialect = connection.dialect
        key = (dialect.name, dialect.driver)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan.compile(self._table, self._columns, dialect)
        connection.exec_driver_sql(plan.sql, plan.parameters(rows))


class _Plan:
    """The compiled INSERT for one dialect and how to turn rows into its driver parameters."""

    def __init__(self, sql: str, order: tuple[str, ...] | None,
                 processors: dict[str, Callable[[Any], Any]], columns: tuple[str, ...]) -> None:
        self.sql = sql
        self.order = order
        """The columns in parameter order for a positional paramstyle; None for a named one."""
        self.processors = processors
        self.columns = columns

    @classmethod
    def compile(cls, table: Table, columns: tuple[str, ...], dialect: Dialect) -> _Plan:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns), for_executemany=True)
        processors = {}
        for name in columns:
            processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        extra = set(compiled.bind_names.values()) - set(columns)
        if extra:  # columns with a Python-side default SQLAlchemy would fill in: the caller must
            raise ValueError(f"BulkInsert needs a value for every column with a default: {sorted(extra)}")
        order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        return cls(compiled.string, order, processors, columns)

    def parameters(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """The driver's parameters for ``rows``: tuples in order, or dicts by column name."""
        converted = [dict(row) for row in rows]
        for name, process in self.processors.items():
            once: dict[Any, Any] = {}
            for row in converted:
                value = row[name]
                if value is None or isinstance(value, (dt.datetime, dt.date, str, int)):
                    if value not in once:
                        once[value] = process(value)
                    row[name] = once[value]
                else:
                    row[name] = process(value)
        if self.order is None:
            return converted
        return [tuple(row[name] for name in self.order) for row in converted]
