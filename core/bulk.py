"""Bulk writes at the speed of the database: PostgreSQL COPY, SQLite executemany.

:func:`update_by_key` changes many rows by primary key with their own values each: one statement
with an array per column on PostgreSQL (``UPDATE ... FROM unnest(...)``), a driver-level
``executemany`` on SQLite.

For generated or already validated rows (demo data, benchmarks), where the ORM's per-row work
would be most of the cost. Rows are tuples in ``columns`` order; ids may be given explicitly,
after which :func:`reset_sequence` moves PostgreSQL's id sequence past them.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from sqlalchemy import JSON, Connection, DateTime, Table, func, select, text

CHUNK = 20000


def write(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` into ``table``; returns how many."""
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, columns, rows)
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    name = conn.dialect.identifier_preparer.format_table(table)
    sql = f"INSERT INTO {name} ({quoted}) VALUES ({', '.join('?' for _ in columns)})"
    # Store values exactly as SQLAlchemy would (datetimes as text, JSON, decimals).
    processors = [_sqlite_processor(table.c[c].type, conn) for c in columns]
    converters = [(i, p) for i, p in enumerate(processors) if p is not None]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    count = 0
    chunk: list[Sequence[Any]] = []
    for row in rows:
        if converters:
            row = list(row)
            for index, process in converters:
                row[index] = process(row[index])
        chunk.append(row)
        if len(chunk) >= CHUNK:
            cursor.executemany(sql, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        cursor.executemany(sql, chunk)
        count += len(chunk)
    cursor.close()
    return count


def update_by_key(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                  guard: tuple[str, Any] | None = None, fixed: dict[str, Any] | None = None) -> None:
    """``UPDATE table SET columns[1:] = row[1:] WHERE columns[0] = row[0]`` for every row; only
    rows whose ``guard`` column (name, value) still holds that value change; ``fixed`` columns get
    one value for all rows, and so does a column every row gives the same value (sent once, not
    once per row)."""
    if not rows:
        return
    fixed = dict(fixed or {})
    varying = [0]
    for index in range(1, len(columns)):
        first = rows[0][index]
        if all(row[index] == first for row in rows):
            fixed[columns[index]] = first
        else:
            varying.append(index)
    if len(varying) < len(columns):
        columns = [columns[i] for i in varying]
        rows = [tuple(row[i] for i in varying) for row in rows]
    prep = conn.dialect.identifier_preparer
    name = prep.format_table(table)
    key, changed = columns[0], list(columns[1:])
    if conn.dialect.name == "postgresql":
        kinds = [table.c[c].type.compile(conn.dialect) for c in columns]
        sets = [f"{prep.quote(c)} = v.{prep.quote(c)}" for c in changed]
        sets += [f"{prep.quote(c)} = :fixed_{c}" for c in fixed]
        arrays = ", ".join(f"CAST(:col_{i} AS {kind}[])" for i, kind in enumerate(kinds))
        sql = (f"UPDATE {name} SET {', '.join(sets)} FROM unnest({arrays}) AS v("
               + ", ".join(prep.quote(c) for c in columns) + f") WHERE {name}.{prep.quote(key)} = v.{prep.quote(key)}")
        params: dict[str, Any] = {f"col_{i}": [row[i] for row in rows] for i in range(len(columns))}
        if guard is not None:
            sql += f" AND {name}.{prep.quote(guard[0])} = :guard"
            params["guard"] = guard[1]
        params.update({f"fixed_{c}": v for c, v in fixed.items()})
        conn.execute(text(sql), params)
        return
    sets = [f"{prep.quote(c)} = ?" for c in [*changed, *fixed]]
    sql = f"UPDATE {name} SET {', '.join(sets)} WHERE {prep.quote(key)} = ?"
    if guard is not None:
        sql += f" AND {prep.quote(guard[0])} = ?"
    processors = [_sqlite_processor(table.c[c].type, conn) for c in [*changed, *fixed, key]]
    tail = [*fixed.values()]
    values = []
    for row in rows:
        raw = [*row[1:], *tail, row[0]]
        cooked = [p(v) if p is not None else v for p, v in zip(processors, raw)]
        values.append((*cooked, guard[1]) if guard is not None else tuple(cooked))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(sql, values)
    cursor.close()


def _iso_datetime(value: Any) -> Any:
    # The very text SQLAlchemy's SQLite DateTime writes ("2026-11-11 10:00:00.000000"), from C.
    return value.isoformat(" ", "microseconds") if value is not None else None


def _sqlite_processor(column_type: Any, conn: Connection) -> Any:
    if isinstance(column_type, DateTime) and not column_type.timezone:
        return _iso_datetime
    return column_type._cached_bind_processor(conn.dialect)


def _copy(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    prep = conn.dialect.identifier_preparer
    sql = f"COPY {prep.format_table(table)} ({', '.join(prep.quote(c) for c in columns)}) FROM STDIN"
    raw = conn.connection.driver_connection
    count = 0
    json_columns = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    # None is SQL NULL only where the column says so; elsewhere it is JSON null, as in the ORM.
    null_as_null = [i for i in json_columns if table.c[columns[i]].type.none_as_null]
    with raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        for row in rows:
            if json_columns:
                row = list(row)
                for index in json_columns:
                    if row[index] is None:  # JSON null, unless the column keeps None as SQL NULL
                        row[index] = None if index in null_as_null else "null"
                    else:
                        row[index] = json.dumps(row[index], ensure_ascii=False)
            copy.write_row(row)
            count += 1
    return count


def next_id(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def reset_sequence(conn: Connection, table: Table) -> None:
    """After explicit ids: make PostgreSQL's next generated id follow the largest one."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text(
        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table.name}\"), false)"
    ))
