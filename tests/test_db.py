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
