"""SQLite's write-ahead log copied back into the database by a background thread.

In WAL mode every commit is appended to the ``-wal`` file, and a *checkpoint* later copies the
logged pages into the database file and syncs it. Left to SQLite, the commit that takes the log
past 1,000 pages runs the checkpoint itself, so a big write (an import batch, a labels run) pays
in its commit for writing back everything it wrote: after relabelling 95,000 customers of a
million, a log of 165 MB. Here, as PostgreSQL's checkpointer does for it, a daemon thread of each
process does that work: the engine's connections check the log only past
:data:`WRITER_LIMIT_PAGES` (for a process whose thread is not keeping up), and the thread looks
every :data:`INTERVAL_SECONDS` at the log of each database the process opened, and checkpoints
one that changed. Its checkpoints are ``PASSIVE``: they never wait for readers or writers, nor
make them wait, and copy what is committed so far; SQLite starts the log afresh once everything
in it is copied and nobody reads it.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from urllib.parse import quote

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.5
"""How often the thread looks at the logs."""
WRITER_LIMIT_PAGES = 262_144
"""``PRAGMA wal_autocheckpoint`` of the engine's connections: a commit still checkpoints when
the log has grown past 1 GiB (4 KiB pages), as it would after 1,000 pages by default."""

_lock = threading.Lock()
_watched: dict[str, tuple[float, int] | None] = {}
"""Each database file watched, with its log's (modification time, size) at the last checkpoint."""
_thread: threading.Thread | None = None


def watch(path: str) -> None:
    """Checkpoint the database file at ``path`` from this process's thread from now on."""
    global _thread
    path = os.path.abspath(path)
    with _lock:
        _watched.setdefault(path, None)
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="shopcrm-sqlite-checkpoints", daemon=True)
            _thread.start()


def watched() -> list[str]:
    """The database files this process checkpoints."""
    with _lock:
        return sorted(_watched)


def _run() -> None:
    while True:
        time.sleep(INTERVAL_SECONDS)
        with _lock:
            paths = list(_watched.items())
        for path, last in paths:
            try:
                _visit(path, last)
            except Exception:  # one database's trouble must not stop the others' checkpoints
                log.exception("checkpointing %s failed", path)


def _visit(path: str, last: tuple[float, int] | None) -> None:
    try:
        stat = os.stat(path + "-wal")
    except FileNotFoundError:
        if not os.path.exists(path):  # the database is gone (a scratch file of a test)
            _forget(path)
        return
    seen = (stat.st_mtime, stat.st_size)
    if stat.st_size == 0 or seen == last:
        return
    try:
        busy, logged, copied = checkpoint(path)
    except sqlite3.OperationalError as exc:
        if not os.path.exists(path):
            _forget(path)  # removed or renamed meanwhile (a restore)
            return
        if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):  # primary code
            _note(path, seen)  # tried once per change of the log
            raise
        return  # another connection holds the database for now (a TRUNCATE checkpoint, say): next time
    if not busy and copied == logged:
        _note(path, seen)
    # Otherwise another checkpoint was running, or a reader still needs part of the log: tried
    # again next time, whether or not the log changes meanwhile.


def _note(path: str, seen: tuple[float, int]) -> None:
    with _lock:
        if path in _watched:
            _watched[path] = seen


def _forget(path: str) -> None:
    with _lock:
        _watched.pop(path, None)


def checkpoint(path: str) -> tuple[int, int, int]:
    """One ``PASSIVE`` checkpoint of the database at ``path``: (busy, pages in the log, pages
    copied back), as SQLite reports it. Busy (1) when another checkpoint is running."""
    # mode=rw: a database deleted meanwhile is an error here, not a new empty file
    conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=0, isolation_level=None)
    try:
        busy, logged, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(logged), int(copied)
    finally:
        conn.close()


def _forget_after_fork() -> None:
    """A forked child has no thread: the next :func:`watch` starts one (its parent's thread goes
    on checkpointing the parent's databases, which the log files the child writes belong to)."""
    global _lock, _thread
    _lock = threading.Lock()
    _thread = None


os.register_at_fork(after_in_child=_forget_after_fork)

__all__ = ["INTERVAL_SECONDS", "WRITER_LIMIT_PAGES", "checkpoint", "watch", "watched"]
