"""Database engines and sessions: SQLite (WAL) by default, PostgreSQL through psycopg 3."""
from __future__ import annotations

import datetime as dt
import os
import time
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from shopcrm import checkpoints
from shopcrm.config import Config, load_config

_engines: dict[str, Engine] = {}
IMMEDIATE = "shopcrm_sqlite_immediate"
"""Execution option: begin SQLite transactions IMMEDIATE (see :func:`session_factory`)."""


def utcnow() -> dt.datetime:
    """Now, as the naive UTC time every timestamp column stores."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide where transactions begin, so that
            # BEGIN IMMEDIATE and SAVEPOINTs behave (SQLAlchemy's documented recipe).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Commits leave the log to the process's checkpoint thread (shopcrm.checkpoints).
            cur.execute(f"PRAGMA wal_autocheckpoint={checkpoints.WRITER_LIMIT_PAGES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A deferred transaction that reads and then writes fails at once
            # (SQLITE_BUSY_SNAPSHOT) when another connection committed in between; one begun
            # IMMEDIATE takes the write lock up front and waits its turn (the busy timeout).
            # Write transactions ask for it (see session_factory); reads stay deferred so they
            # never wait for writers.
            immediate = conn.get_execution_options().get(IMMEDIATE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        if engine.url.database and engine.url.database != ":memory:":
            checkpoints.watch(engine.url.database)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


PING_IDLE_SECONDS = 10.0
"""A pooled PostgreSQL connection idle this long is checked (``SELECT 1``) before it is used."""


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has been idle a while.

    A server restarted (or a connection dropped by a firewall) leaves dead connections in the
    pool; checking each one at every checkout, as SQLAlchemy's ``pool_pre_ping`` does, costs a
    round trip every time a request or job opens a session, several times per API request. A
    connection given back moments ago is alive unless the server went away in those moments,
    and then the statement fails as any statement running at that moment would, and SQLAlchemy
    drops the pool's connections. One idle for :data:`PING_IDLE_SECONDS` is checked, and
    replaced when dead (SQLAlchemy's documented ``checkout`` recipe: raising
    ``DisconnectionError`` has the pool connect afresh)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["shopcrm_returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("shopcrm_returned_at")
        if returned is None or time.monotonic() - returned < PING_IDLE_SECONDS:
            return  # just connected, or in use moments ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError(f"pooled connection is dead: {exc}") from exc


def get_engine(config: Config | None = None) -> Engine:
    """The process's engine for the configured database (one per URL)."""
    config = config or load_config()
    engine = _engines.get(config.database_url)
    if engine is None:
        engine = _engines[config.database_url] = make_engine(config.database_url)
    return engine


def _forget_pools_after_fork() -> None:
    """In a forked child (an RQ work horse), drop the pooled connections inherited from the
    parent without closing them: they are the parent's to use and close."""
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_after_fork)


def dispose_engines() -> None:
    """Close every pooled connection (tests, forks)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def session_factory(engine: Engine, write: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``write=True`` for transactions that read and then write, which
    on SQLite then begin IMMEDIATE (on PostgreSQL it changes nothing)."""
    if write:
        engine = engine.execution_options(**{IMMEDIATE: True})
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(config: Config | None = None) -> Iterator[Session]:
    """A write session committed on success and rolled back on error."""
    session = session_factory(get_engine(config), write=True)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def scratch_database(server_url: str | None, folder: str, name: str, template: str | None = None) -> Iterator[str]:
    """A new database for tests and benchmarks; dropped afterwards.

    With a PostgreSQL ``server_url`` it is a database ``name`` created beside the one named in
    the URL (a copy of the database ``template`` when given, else empty); otherwise an SQLite
    file in ``folder`` (the caller copies a template file itself). Yields its URL.
    """
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from shopcrm.config import normalise_database_url

    if not server_url or server_url.startswith("sqlite"):
        yield f"sqlite:///{folder}/{name}.db"
        return
    outer = make_url(normalise_database_url(server_url))
    admin = make_engine(outer.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        url = outer.set(database=name).render_as_string(hide_password=False)
        try:
            yield url
        finally:
            engine = _engines.pop(url, None)
            if engine is not None:
                engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
