"""Backups of the embedded (SQLite) install: one archive file, taken while the application runs.

An archive is a gzipped tar holding three members:

* ``shopcrm.db``: a copy of the database made with SQLite's online backup API, so it is one
  consistent moment even while the web UI and jobs keep writing (WAL: the copy reads a
  snapshot, writers are not stopped);
* ``secret_key``: the instance key, without which the channel secrets stored in the database
  (an SMS gateway's AccessKey secret, say) cannot be decrypted (:mod:`shopcrm.secret_box`);
* ``manifest.json``: what the archive is (:class:`Manifest`): its format, the ShopCRM version
  and the schema revisions it was made with, when, and how many customers and orders it holds.

:func:`restore` checks an archive (its manifest, the copy's ``PRAGMA integrity_check``, that its
schema revisions match the manifest and are known to the installed code) before it touches the
instance, refuses to replace a database that holds data unless forced, and keeps whatever it
replaces beside it (``*.before-restore-<time>``), so a restore never loses anything.

PostgreSQL installs are backed up with PostgreSQL's own tools (``pg_dump``/``pg_restore``, see
``docs/deployment.md``); both functions refuse them with that advice.
"""
from __future__ import annotations

import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy.engine import make_url

from shopcrm import __version__
from shopcrm.config import SECRET_KEY_FILE, SECRET_KEY_SETTING, Config
from shopcrm.db import utcnow

FORMAT = 1
"""The archive layout this code writes and reads."""
MANIFEST = "manifest.json"
DATABASE = "shopcrm.db"
KEY = SECRET_KEY_FILE
MEMBERS = frozenset({MANIFEST, DATABASE, KEY})
COUNTED = ("customer", "order")
"""Tables whose row counts the manifest records (shown when restoring)."""
POSTGRES_ADVICE = ("this is a PostgreSQL install (DATABASE_URL): back it up with pg_dump and restore it with "
                   "pg_restore, and keep the instance secret key with it; see docs/deployment.md, \"Backups\"")


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason and what to do."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an archive holds and where it comes from."""

    format: int
    shopcrm_version: str
    created_at: str
    revisions: list[str]
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Restored:
    """The outcome of :func:`restore`: the archive's manifest, the files kept aside, and whether
    the schema needs ``shopcrm db upgrade`` (an archive from an older ShopCRM)."""

    manifest: Manifest
    kept: list[Path]
    upgrade_needed: bool


def database_file(config: Config) -> Path:
    """The SQLite file of ``config``; :class:`BackupError` for a PostgreSQL install."""
    if not config.is_sqlite:
        raise BackupError(POSTGRES_ADVICE)
    name = make_url(config.database_url).database
    if not name or name == ":memory:":
        raise BackupError("the database is not a file: nothing to back up")
    return Path(name)


def backup(config: Config, path: Path) -> Manifest:
    """Write an archive of the running install to ``path`` (a new file, readable by its owner
    only: it holds the secret key) and return its manifest."""
    source = database_file(config)
    if not source.exists():
        raise BackupError(f"there is no database at {source}: nothing to back up (run `shopcrm db upgrade` first?)")
    if path.exists():
        raise BackupError(f"{path} already exists: choose a new file name, backups are never overwritten")
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    key = config.secret_key()
    with tempfile.TemporaryDirectory(prefix=".shopcrm-backup-", dir=path.parent) as scratch:
        copy = Path(scratch) / DATABASE
        _online_copy(source, copy)
        problem = _integrity_problem(copy)
        if problem:
            raise BackupError(f"the database copy failed its integrity check ({problem}): the database itself "
                              "may be damaged; nothing was written")
        manifest = Manifest(format=FORMAT, shopcrm_version=__version__,
                            created_at=utcnow().isoformat(timespec="seconds") + "Z",
                            revisions=_revisions(copy), counts=_counts(copy))
        partial = Path(scratch) / "archive.tar.gz"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest.as_dict(), indent=2).encode())
            archive.add(copy, arcname=DATABASE)
            _add_bytes(archive, KEY, key.encode())
        _publish(partial, path)
    return manifest


def _publish(partial: Path, path: Path) -> None:
    """Give the finished archive its name: a hard link fails rather than replace a file that
    appeared meanwhile; where links are not supported, a rename."""
    try:
        os.link(partial, path)
    except FileExistsError:
        raise BackupError(f"{path} already exists: choose a new file name, backups are never overwritten") from None
    except OSError:
        os.replace(partial, path)


def read_manifest(path: Path) -> Manifest:
    """The manifest of the archive at ``path``; :class:`BackupError` when it is not one."""
    with _open_archive(path) as archive:
        return _manifest(archive, path)


def restore(config: Config, path: Path, force: bool = False) -> Restored:
    """Replace the install's database and secret key with those of the archive at ``path``.

    Stop the web UI and workers first: the database file is replaced underneath them.
    """
    target = database_file(config)
    with tempfile.TemporaryDirectory(prefix=".shopcrm-restore-", dir=target.parent) as scratch:
        copy = Path(scratch) / DATABASE
        with _open_archive(path) as archive:
            manifest = _manifest(archive, path)
            _extract(archive, DATABASE, copy, path)
            key = _read_member(archive, KEY, path).decode().strip()
        if not key:
            raise BackupError(f"{path}: the archive's secret key is empty")
        problem = _integrity_problem(copy)
        if problem:
            raise BackupError(f"{path}: the database in the archive is damaged ({problem}); nothing was restored")
        found = _revisions(copy)
        if sorted(found) != sorted(manifest.revisions):
            raise BackupError(f"{path}: the database's schema revisions ({', '.join(found) or 'none'}) are not "
                              f"the manifest's ({', '.join(manifest.revisions)}); nothing was restored")
        unknown = sorted(set(found) - _known_revisions(copy))
        if unknown:
            raise BackupError(f"{path} was made by a newer ShopCRM ({manifest.shopcrm_version}; schema revision(s) "
                              f"{', '.join(unknown)} unknown here): install that version, then restore")
        given = config.extra.get(SECRET_KEY_SETTING, "").strip()
        if given and given != key:
            raise BackupError("SHOPCRM_SECRET_KEY is set and is not the key in the archive, so the restored channel "
                              "secrets could not be decrypted: unset it (the archive's key file is then used) or set "
                              "it to the archive's secret_key; nothing was restored")
        if target.exists() and _holds_data(target) and not force:
            raise BackupError(f"the database at {target} already holds data: restoring would replace it; add --force "
                              "to replace it (it is kept beside, renamed)")
        kept = _put_aside(target, config.instance_path / KEY)
        os.replace(copy, target)
        _write_key(config.instance_path / KEY, key)
    return Restored(manifest=manifest, kept=kept, upgrade_needed=_upgrade_needed(target))


# --- the database copy --------------------------------------------------------------------------

def _online_copy(source: Path, copy: Path) -> None:
    """Copy ``source`` to ``copy`` with SQLite's backup API, in one step: one read transaction,
    so the copy is a single moment of the database whatever other connections write meanwhile."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def _integrity_problem(database: Path) -> str | None:
    """``None`` when ``PRAGMA integrity_check`` says ok, else its first complaint."""
    try:
        with _connect(database) as conn:
            rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if rows == ["ok"] else rows[0]


def _revisions(database: Path) -> list[str]:
    with _connect(database) as conn:
        try:
            return sorted(row[0] for row in conn.execute("SELECT version_num FROM alembic_version"))
        except sqlite3.OperationalError:
            return []


def _counts(database: Path) -> dict[str, int]:
    with _connect(database) as conn:
        return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in COUNTED}


def _holds_data(database: Path) -> bool:
    """Whether any table but Alembic's (and SQLite's own) has a row: a freshly upgraded
    database holds none. A file SQLite cannot read counts as holding data: it may be a
    database worth rescuing."""
    try:
        with _connect(database) as conn:
            tables = [row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name <> 'alembic_version'")]
            return any(conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() for table in tables)
    except sqlite3.DatabaseError:
        return True


@contextmanager
def _connect(database: Path) -> Iterator[sqlite3.Connection]:
    """An autocommit connection to ``database``, closed afterwards."""
    conn = sqlite3.connect(database, timeout=30)
    conn.isolation_level = None
    try:
        yield conn
    finally:
        conn.close()


def _known_revisions(database: Path) -> set[str]:
    from alembic.script import ScriptDirectory

    from shopcrm.db import make_engine
    from shopcrm.migrate import alembic_config

    engine = make_engine(f"sqlite:///{database}")
    try:
        return {rev.revision for rev in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()}
    finally:
        engine.dispose()


def _upgrade_needed(database: Path) -> bool:
    from shopcrm.db import make_engine
    from shopcrm.migrate import pending

    engine = make_engine(f"sqlite:///{database}")
    try:
        return pending(engine)
    finally:
        engine.dispose()


def _put_aside(database: Path, key: Path) -> list[Path]:
    """Rename the database (its WAL checkpointed into it first, and whatever -wal/-shm files are
    left) and the key file to ``*.before-restore-<time>``; the new names. No -wal file may stay
    beside the restored database: SQLite would apply it to the wrong database."""
    kept: list[Path] = []
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    if database.exists():
        try:
            with _connect(database) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.DatabaseError:  # unreadable: kept as it is, with its -wal and -shm beside it
            pass
        kept.append(_rename(database, stamp))
        for suffix in ("-wal", "-shm"):
            leftover = database.with_name(database.name + suffix)
            if leftover.exists():
                kept.append(_rename(leftover, stamp))
    if key.exists():
        kept.append(_rename(key, stamp))
    return kept


def _rename(path: Path, stamp: str) -> Path:
    aside = path.with_name(f"{path.name}.before-restore-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.before-restore-{stamp}-{n}")
    path.rename(aside)
    return aside


def _write_key(path: Path, key: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)


# --- the archive --------------------------------------------------------------------------------

def _open_archive(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        archive = tarfile.open(path, mode="r:gz")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{path} is not a ShopCRM backup (not a .tar.gz archive: {exc})") from None
    try:
        names = set(archive.getnames())
    except (tarfile.TarError, OSError, EOFError) as exc:
        archive.close()
        raise BackupError(f"{path} is damaged: {exc}") from None
    if names != MEMBERS:
        archive.close()
        missing, extra = sorted(MEMBERS - names), sorted(names - MEMBERS)
        raise BackupError(f"{path} is not a ShopCRM backup: "
                          + "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                                        f"unexpected {', '.join(extra)}" if extra else "") if part))
    return archive


def _read_member(archive: tarfile.TarFile, name: str, path: Path) -> bytes:
    member = archive.getmember(name)
    handle = archive.extractfile(member) if member.isfile() else None
    if handle is None:
        raise BackupError(f"{path}: {name} in the archive is not a regular file")
    try:
        return handle.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{path} is damaged ({name}: {exc})") from None


def _extract(archive: tarfile.TarFile, name: str, to: Path, path: Path) -> None:
    member = archive.getmember(name)
    handle = archive.extractfile(member) if member.isfile() else None
    if handle is None:
        raise BackupError(f"{path}: {name} in the archive is not a regular file")
    try:
        with open(to, "wb") as out:
            while chunk := handle.read(1 << 20):
                out.write(chunk)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{path} is damaged ({name}: {exc})") from None


def _manifest(archive: tarfile.TarFile, path: Path) -> Manifest:
    raw = _read_member(archive, MANIFEST, path)
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format") != FORMAT:
            raise BackupError(f"{path}: archive format {data.get('format')!r} is not one this ShopCRM reads "
                              f"(format {FORMAT})")
        return Manifest(format=FORMAT, shopcrm_version=str(data["shopcrm_version"]),
                        created_at=str(data["created_at"]), revisions=[str(r) for r in data["revisions"]],
                        counts={str(k): int(v) for k, v in data.get("counts", {}).items()})
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path}: the manifest is unreadable ({exc})") from None


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


__all__ = ["BackupError", "Manifest", "Restored", "backup", "read_manifest", "restore"]
