"""Planner statistics kept current while a bulk write grows tables (PostgreSQL).

PostgreSQL plans each statement from the statistics ``ANALYZE`` last took of a table. A long
import into a new shop grows ``customer`` and ``order`` from nothing to millions of rows, batch
after batch; the statistics (taken by autovacuum about once a minute, when it is on at all)
still describe the empty tables, so the planner matches each batch's staged rows by reading
every stored order and customer of the shop instead of probing their unique indexes: every batch
costs more than the one before. :class:`GrowthWatch` analyzes a table again once the rows
written to it since its statistics were taken reach a share of what those statistics count, as
autovacuum would, but between two batches rather than whenever its next round comes.
SQLite needs none of this: its planner prefers an index unless ``ANALYZE`` said otherwise.
"""
from __future__ import annotations

from sqlalchemy import Connection, text

GROWTH = 0.2
"""Rows written since the table's statistics were taken, as a share of the rows they count,
that make them stale (autovacuum's default is 0.1, plus 50 rows)."""
MIN_ROWS = 5_000
"""Fewer rows written than this never make statistics stale: a small table is planned well
enough whatever they say, and ``ANALYZE`` is not free."""

_COUNTED = text("SELECT CAST(GREATEST(reltuples, 0) AS BIGINT) FROM pg_class WHERE oid = CAST(:name AS regclass)")


class GrowthWatch:
    """Rows written to some tables, and an ``ANALYZE`` of each that has grown enough.

    ``tables`` are names as SQL writes them (``'"order"'`` for a reserved word). On any other
    database than PostgreSQL it does nothing."""

    def __init__(self, tables: tuple[str, ...]) -> None:
        self.tables = tables
        self.counted: dict[str, int] | None = None
        self.written = dict.fromkeys(tables, 0)
        self.analyzed: list[str] = []
        """Every ``ANALYZE`` run, in order (for the import's log and its tests)."""

    def wrote(self, conn: Connection, rows: dict[str, int]) -> None:
        """Note ``rows`` newly written per table (committed), and analyze those grown enough.
        Runs on ``conn`` outside any transaction of the caller's, in one of its own, and only
        once some table has :data:`MIN_ROWS` written: a small write (an API call's) asks
        the database nothing."""
        if conn.dialect.name != "postgresql":
            return
        for name, count in rows.items():
            self.written[name] += count
        due = [name for name in self.tables if self.written[name] >= MIN_ROWS]
        if not due:
            return
        with conn.begin():
            if self.counted is None:
                self.counted = {name: self._count(conn, name) for name in self.tables}
            for name in due:
                if self.written[name] >= GROWTH * self.counted[name]:
                    conn.exec_driver_sql(f"ANALYZE {name}")
                    self.counted[name] = self._count(conn, name)
                    self.written[name] = 0
                    self.analyzed.append(name)

    @staticmethod
    def _count(conn: Connection, name: str) -> int:
        """The rows the table's statistics count."""
        return int(conn.execute(_COUNTED, {"name": name}).scalar_one())


__all__ = ["GROWTH", "MIN_ROWS", "GrowthWatch"]
