"""SQLite's log is copied back into the database by the process's thread, not by commits."""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from shopcrm import checkpoints
from shopcrm.db import make_engine

ROWS = 2_000
"""Rows of 4 KiB: a log of about 2,000 pages, twice SQLite's default checkpoint threshold."""


FILL = (f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS}) "
        "INSERT INTO blob (data) SELECT randomblob(4000) FROM n")
"""Fills the table ``blob`` with :data:`ROWS` rows."""


def _write(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE blob (data BLOB)")
    conn.execute(FILL)


def _wait_for(condition, seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_an_engines_connections_leave_checkpoints_to_the_thread(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/shop.db")
    with engine.connect() as conn:
        limit = conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
    assert limit == checkpoints.WRITER_LIMIT_PAGES
    assert str(tmp_path / "shop.db") in checkpoints.watched()
    engine.dispose()


def test_the_thread_copies_a_committed_log_into_the_database(tmp_path: Path) -> None:
    # Control: the same write through a connection the thread does not watch stays in the log
    # (the log is under the connection's own limit, and the connection stays open).
    control = sqlite3.connect(tmp_path / "control.db", isolation_level=None)
    control.execute("PRAGMA journal_mode=WAL")
    control.execute(f"PRAGMA wal_autocheckpoint={checkpoints.WRITER_LIMIT_PAGES}")
    _write(control)
    engine = make_engine(f"sqlite:///{tmp_path}/shop.db")
    with engine.connect() as keep_open:  # no last connection closing, which would checkpoint too
        keep_open.execute(text("SELECT 1"))
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE blob (data BLOB)"))
            conn.execute(text(FILL))
        copied = _wait_for(lambda: os.path.getsize(tmp_path / "shop.db") > ROWS * 4000)
        assert copied, "the thread did not copy the log into the database"
        assert os.path.getsize(tmp_path / "control.db") < ROWS * 4000
        # Everything the log holds is in the database now: a checkpoint finds nothing to copy.
        assert _wait_for(lambda: _backfilled(tmp_path / "shop.db"))
    control.close()
    engine.dispose()


def _backfilled(path: Path) -> bool:
    busy, logged, copied = checkpoints.checkpoint(str(path))
    return busy == 0 and logged == copied


def test_checkpoint_reports_what_it_copied(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "shop.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    _write(conn)
    busy, logged, copied = checkpoints.checkpoint(str(tmp_path / "shop.db"))
    assert busy == 0
    assert logged >= ROWS and copied == logged
    conn.close()


def test_a_database_that_is_gone_is_forgotten_not_made_again(tmp_path: Path) -> None:
    path = tmp_path / "gone.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x)")
    checkpoints.watch(str(path))
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{path}{suffix}"):
            os.remove(f"{path}{suffix}")
    assert _wait_for(lambda: str(path) not in checkpoints.watched())
    assert not path.exists()


def test_a_checkpoint_of_a_missing_database_is_an_error_not_a_new_file(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError):
        checkpoints.checkpoint(str(tmp_path / "missing.db"))
    assert not (tmp_path / "missing.db").exists()


def test_a_database_held_by_another_connection_is_checkpointed_once_it_is_free(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("PRAGMA wal_autocheckpoint=0")
    _write(holder)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")  # takes the lock, kept after the commit: others find it locked
    holder.execute("COMMIT")
    with caplog.at_level("ERROR", logger="shopcrm.checkpoints"):
        checkpoints.watch(str(path))
        time.sleep(3 * checkpoints.INTERVAL_SECONDS)  # the thread finds it locked, more than once
        assert os.path.getsize(path) < ROWS * 4000
        holder.execute("PRAGMA locking_mode=NORMAL")
        holder.execute("SELECT count(*) FROM blob").fetchone()  # gives the lock back, stays open
        # No new write: the log is the one the thread found locked, and is copied all the same.
        assert _wait_for(lambda: os.path.getsize(path) > ROWS * 4000), "the locked log was never tried again"
    assert not [r for r in caplog.records if r.name == "shopcrm.checkpoints"]
    holder.close()
