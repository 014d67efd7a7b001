"""Database engines: a forked child never uses the connections its parent pooled."""
from __future__ import annotations

import os

from sqlalchemy import text

from shopcrm.db import get_engine


def test_a_forked_child_starts_with_an_empty_pool(config) -> None:
    engine = get_engine(config)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    pooled_here = engine.pool.checkedin()  # this one, and any earlier tests left in the pool
    assert pooled_here >= 1
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its pool, then use the database afresh
        try:
            pooled = engine.pool.checkedin()
            with engine.connect() as conn:
                ok = conn.execute(text("SELECT 1")).scalar() == 1
            os.write(write, f"{pooled} {ok}".encode())
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 100).decode()
    os.waitpid(pid, 0)
    assert answer == "0 True"
    assert engine.pool.checkedin() == pooled_here  # the parent's connections are still its own
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


def _postgres_engine(config):
    import pytest

    engine = get_engine(config)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose a pooled connection to")
    return engine


def _pings(engine, monkeypatch) -> list[int]:
    made: list[int] = []
    original = engine.dialect.do_ping

    def counted(dbapi_conn):
        made.append(1)
        return original(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return made


def test_a_connection_used_moments_ago_is_not_pinged_again(config, monkeypatch) -> None:
    engine = _postgres_engine(config)
    pings = _pings(engine, monkeypatch)
    for _ in range(5):
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    assert pings == []
    monkeypatch.setattr("shopcrm.db.PING_IDLE_SECONDS", 0.0)  # every pooled connection is "idle" now
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert pings == [1]


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(config, monkeypatch) -> None:
    engine = _postgres_engine(config)
    with engine.connect() as victim, engine.connect() as other:  # the second drops the first's backend
        dead_pid = victim.execute(text("SELECT pg_backend_pid()")).scalar()
        victim.commit()  # idle in the pool from here on
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead_pid}).scalar() is True
        other.commit()
    monkeypatch.setattr("shopcrm.db.PING_IDLE_SECONDS", 0.0)
    pids = set()
    for _ in range(3):  # whichever pooled connection each checkout takes, every one works
        with engine.connect() as conn:
            pids.add(conn.execute(text("SELECT pg_backend_pid()")).scalar())
    assert dead_pid not in pids
