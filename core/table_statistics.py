"""Planner statistics kept current while writes grow tables (PostgreSQL).

PostgreSQL plans each statement from the statistics ``ANALYZE`` last took of a table, and a
connection keeps the plan of a prepared statement until they change. A shop's ``customer`` and
``order`` tables grow from nothing to millions of rows, by an import's batches or by the API's
small writes from every web process; the statistics (taken by autovacuum about once a minute,
when it is on at all) still describe the empty tables, so the planner matches each batch's
staged rows by reading every stored row of the shop (:func:`shopcrm.staging.probing`), and each
batch costs more than the one before: an API call of ten orders took 38 ms at 200 orders in
the shop and 78 ms at 6,000.

:class:`GrowthWatch` analyzes a table again once its file has grown by :data:`GROWTH` since its
statistics were taken (``pg_class.relpages`` against the file's size now): the tables an import
or an API call writes, and the messages, labels and points their events add. The file's size
counts what every process wrote, committed or not yet, the moment it is written; a process asks
only after it has itself written :data:`CHECK_ROWS` rows since it last asked, and one process
analyzes a table while the others skip it. :func:`watch` gives the one watch of a process for a
database. SQLite needs none of this: its planner prefers an index unless ``ANALYZE`` said
otherwise.
"""
from __future__ import annotations

import threading

from sqlalchemy import Connection, text

GROWTH = 0.2
"""Growth of a table's file since its statistics were taken, as a share of the pages they
count, that makes them stale (autovacuum analyzes after a tenth of the rows changed, plus 50)."""
MIN_PAGES = 8
"""Fewer pages grown than this never make statistics stale: a table of a few pages is planned
well enough whatever they say (8 pages hold about 200 customers)."""
CHECK_ROWS = 200
"""Rows a process writes to the watched tables between two looks at their size: an import's
every batch, an API call of ten orders one time in twenty."""
LOCK_KIND = 0x414E4C  # "ANL"
"""The first key of the advisory lock that has one process analyze a table (the second is the
table's oid)."""

_SIZE = ("SELECT c.oid, CAST(CAST(c.oid AS regclass) AS text), c.relpages, "
         "pg_relation_size(c.oid) / current_setting('block_size')::int FROM pg_class c ")
_NAMED = text(_SIZE + "WHERE c.oid = ANY(CAST(:names AS regclass[])) ORDER BY c.oid")
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:kind, :oid)")
_EVERY = text(_SIZE + "WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND c.relkind = 'r' "
                      "ORDER BY c.oid")


class GrowthWatch:
    """Rows written, and an ``ANALYZE`` of each table whose file has grown enough.

    ``tables`` are names as SQL writes them (``'"order"'`` for a reserved word); without them,
    every table of the schema, a plugin's as well as the core's (a write to ``order`` adds
    messages, labels and points too). On any other database than PostgreSQL it does nothing.
    Safe to share between threads."""

    def __init__(self, tables: tuple[str, ...] | None = None) -> None:
        self.tables = tables
        self.written = 0
        self.analyzed: list[str] = []
        """Every ``ANALYZE`` this watch ran, in order (for tests and logs)."""
        self._lock = threading.Lock()

    def wrote(self, conn: Connection, rows: int) -> None:
        """Note ``rows`` newly written (committed), and once :data:`CHECK_ROWS` are, analyze
        the tables grown enough. Runs on ``conn`` outside any transaction of the caller's, in
        one of its own; a smaller write asks the database nothing."""
        if conn.dialect.name != "postgresql" or rows <= 0:
            return
        with self._lock:
            self.written += rows
            if self.written < CHECK_ROWS:
                return
            self.written = 0
        with conn.begin():
            sizes = conn.execute(_EVERY) if self.tables is None else conn.execute(_NAMED, {"names": list(self.tables)})
            for oid, name, counted, pages in sizes.all():
                if pages - counted < max(MIN_PAGES, GROWTH * counted):
                    continue
                # Another process analyzing it holds the lock until its transaction ends: this
                # one leaves the table to it (a second ANALYZE would wait, then do it again).
                if not conn.execute(_TRY_LOCK, {"kind": LOCK_KIND, "oid": oid}).scalar_one():
                    continue
                conn.exec_driver_sql(f"ANALYZE {name}")  # regclass text: quoted as needed
                with self._lock:
                    self.analyzed.append(name)


_watches: dict[str, GrowthWatch] = {}
_watches_lock = threading.Lock()


def watch(conn: Connection) -> GrowthWatch:
    """This process's watch of every table in ``conn``'s database, shared by every writer."""
    key = conn.engine.url.render_as_string(hide_password=True)
    with _watches_lock:
        found = _watches.get(key)
        if found is None:
            found = _watches[key] = GrowthWatch()
        return found


__all__ = ["CHECK_ROWS", "GROWTH", "MIN_PAGES", "GrowthWatch", "watch"]
