"""Backups of the embedded install: a consistent copy while the application writes, a round trip
that brings back customers, orders and decryptable channel secrets, and every refusal with its
reason. Always on SQLite (a PostgreSQL install is refused), whatever database the run uses."""
from __future__ import annotations

import json
import shutil
import sqlite3
import tarfile
import threading
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import func, insert, select

from shopcrm import channel_settings, migrate
from shopcrm.backup import BackupError, backup, read_manifest, restore
from shopcrm.config import Config, load_config
from shopcrm.db import dispose_engines, make_engine, session_scope, utcnow
from shopcrm.models import Customer, Order, Shop


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated SQLite file to copy."""
    path = tmp_path_factory.mktemp("backup-template") / "shopcrm.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def make_install(tmp_path: Path, migrated_sqlite: Path) -> Iterator:
    """``make_install(name, key=None)``: an embedded install (instance folder with a migrated
    SQLite database; ``key`` as ``SHOPCRM_SECRET_KEY``)."""

    def make(name: str, empty: bool = False, **env: str) -> Config:
        instance = tmp_path / name
        instance.mkdir()
        if not empty:
            shutil.copyfile(migrated_sqlite, instance / "shopcrm.db")
        return load_config({"SHOPCRM_INSTANCE": str(instance), **env})

    yield make
    dispose_engines()


def add_orders(config: Config, n: int, shop_name: str = "备份测试店") -> int:
    """A shop with ``n`` customers of one order each; the shop's id."""
    with session_scope(config) as session:
        shop = Shop(name=shop_name, sms_signature="小店")
        session.add(shop)
        session.flush()
        for i in range(n):
            customer = Customer(shop_id=shop.id, platform_id=f"buyer{i}", mobile=f"1380000{i:04d}",
                                mobile_tail=f"{i:04d}", sms_reachable=True, order_count=1)
            session.add(customer)
            session.flush()
            session.add(Order(shop_id=shop.id, customer_id=customer.id, platform_order_id=f"o{i}", status="paid",
                              created_at=utcnow()))
        return shop.id


def counts(database: Path) -> tuple[int, int]:
    conn = sqlite3.connect(database)
    try:
        return (conn.execute("SELECT count(*) FROM customer").fetchone()[0],
                conn.execute('SELECT count(*) FROM "order"').fetchone()[0])
    finally:
        conn.close()


def unpack(archive: Path, into: Path) -> dict:
    into.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return json.loads((into / "manifest.json").read_text())


def repack(folder: Path, archive: Path, skip: str | None = None) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        for member in ("manifest.json", "shopcrm.db", "secret_key"):
            if member != skip:
                tar.add(folder / member, arcname=member)
    return archive


class Writer(threading.Thread):
    """Keeps writing, each transaction one new customer and that customer's order, on a
    connection of its own, until stopped."""

    def __init__(self, config: Config, shop_id: int) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(config.database_url)
        self.shop_id = shop_id
        self.stopped = threading.Event()
        self.written = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                n = self.written
                with self.engine.begin() as conn:
                    customer_id = conn.execute(insert(Customer).values(
                        shop_id=self.shop_id, platform_id=f"live{n}", order_count=1, sms_reachable=False,
                        tags=[]).returning(Customer.id)).scalar_one()
                    conn.execute(insert(Order).values(shop_id=self.shop_id, customer_id=customer_id,
                                                      platform_order_id=f"live{n}", status="paid",
                                                      created_at=utcnow()))
                self.written += 1
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.engine.dispose()


def test_backup_while_the_app_writes_is_one_consistent_moment(make_install, tmp_path) -> None:
    config = make_install("live")
    shop_id = add_orders(config, 50)
    writer = Writer(config, shop_id)
    writer.start()
    archives = []
    try:
        while writer.written < 20 and writer.is_alive():
            threading.Event().wait(0.01)
        for i in range(3):
            archives.append(tmp_path / f"live{i}.tar.gz")
            backup(config, archives[-1])
    finally:
        writer.stopped.set()
        writer.join(timeout=30)
    assert writer.error is None, writer.error
    live = counts(config.instance_path / "shopcrm.db")
    for n, archive in enumerate(archives):
        manifest = unpack(archive, tmp_path / f"unpacked{n}")
        copy = tmp_path / f"unpacked{n}" / "shopcrm.db"
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
        customers, orders = counts(copy)
        assert customers == orders >= 70  # every transaction is in the copy whole or not at all
        assert customers <= live[0]
        assert manifest["counts"] == {"customer": customers, "order": orders}
        assert not (tmp_path / f"unpacked{n}" / "shopcrm.db-wal").exists()


def test_round_trip_brings_back_customers_orders_and_readable_channel_secrets(make_install, tmp_path) -> None:
    source = make_install("source")
    shop_id = add_orders(source, 12)
    with session_scope(source) as session:
        errors = channel_settings.save(session, source, "sms_aliyun", shop_id, {
            "access_key_id": "LTAI5t", "access_key_secret": "s3cret-阿里", "sign_name": "小店"})
        assert not errors
    archive = tmp_path / "shop.tar.gz"
    made = backup(source, archive)
    assert made.counts == {"customer": 12, "order": 12}
    assert made.revisions == sorted(migrate.current_heads(make_engine(source.database_url)))
    assert oct(archive.stat().st_mode & 0o777) == oct(0o600)
    assert read_manifest(archive) == made

    target = make_install("target", empty=True)  # a new machine: no database, no key yet
    done = restore(target, archive)
    assert done.kept == [] and not done.upgrade_needed
    assert (target.instance_path / "secret_key").read_text() == source.secret_key()
    assert counts(target.instance_path / "shopcrm.db") == (12, 12)
    with session_scope(target) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 12
        settings = channel_settings.load(session, target, "sms_aliyun", shop_id)
    assert settings["access_key_secret"] == "s3cret-阿里"


def test_restore_over_data_needs_force_and_keeps_what_it_replaces(make_install, tmp_path) -> None:
    source = make_install("source")
    add_orders(source, 3)
    archive = tmp_path / "shop.tar.gz"
    backup(source, archive)

    target = make_install("target")
    add_orders(target, 5, shop_name="别的店")
    old_key = target.secret_key()
    with pytest.raises(BackupError, match="already holds data: restoring would replace it; add --force"):
        restore(target, archive)
    assert counts(target.instance_path / "shopcrm.db") == (5, 5)  # untouched
    dispose_engines()

    done = restore(target, archive, force=True)
    assert counts(target.instance_path / "shopcrm.db") == (3, 3)
    kept = {path.name.split(".before-restore-")[0]: path for path in done.kept}
    assert set(kept) == {"shopcrm.db", "secret_key"}
    assert counts(kept["shopcrm.db"]) == (5, 5)
    assert kept["secret_key"].read_text() == old_key


def test_a_freshly_upgraded_database_is_replaced_without_force(make_install, tmp_path) -> None:
    source = make_install("source")
    add_orders(source, 2)
    archive = tmp_path / "shop.tar.gz"
    backup(source, archive)
    target = make_install("target")  # migrated, no rows
    restore(target, archive)
    assert counts(target.instance_path / "shopcrm.db") == (2, 2)


def test_postgres_installs_are_pointed_at_their_own_tools(tmp_path) -> None:
    config = load_config({"SHOPCRM_INSTANCE": str(tmp_path), "DATABASE_URL": "postgresql://shop@db/crm"})
    for attempt in (lambda: backup(config, tmp_path / "b.tar.gz"), lambda: restore(config, tmp_path / "b.tar.gz")):
        with pytest.raises(BackupError, match="PostgreSQL install.*pg_dump.*pg_restore.*docs/deployment.md"):
            attempt()
    assert not (tmp_path / "b.tar.gz").exists()


def test_backup_never_overwrites_and_needs_a_database(make_install, tmp_path) -> None:
    config = make_install("one")
    existing = tmp_path / "old.tar.gz"
    existing.write_bytes(b"yesterday")
    with pytest.raises(BackupError, match="already exists: choose a new file name"):
        backup(config, existing)
    assert existing.read_bytes() == b"yesterday"
    with pytest.raises(BackupError, match="there is no database at"):
        backup(make_install("none", empty=True), tmp_path / "new.tar.gz")
    with pytest.raises(BackupError, match="does not exist"):
        backup(config, tmp_path / "no folder" / "b.tar.gz")


def test_archives_that_cannot_be_trusted_are_refused_and_nothing_changes(make_install, tmp_path) -> None:
    source = make_install("source")
    add_orders(source, 4)
    archive = tmp_path / "good.tar.gz"
    backup(source, archive)
    folder = tmp_path / "parts"
    manifest = unpack(archive, folder)
    target = make_install("target", empty=True)

    def refused(path: Path, message: str) -> None:
        with pytest.raises(BackupError, match=message):
            restore(target, path)
        assert not (target.instance_path / "shopcrm.db").exists()

    refused(tmp_path / "missing.tar.gz", "no such file")
    (tmp_path / "text.tar.gz").write_text("not an archive")
    refused(tmp_path / "text.tar.gz", "is not a ShopCRM backup \\(not a .tar.gz archive")
    refused(repack(folder, tmp_path / "nokey.tar.gz", skip="secret_key"), "is not a ShopCRM backup: missing secret_key")

    garbage = tmp_path / "garbage"
    shutil.copytree(folder, garbage)
    (garbage / "shopcrm.db").write_bytes(b"SQLite format 3\x00" + b"\x07" * 8192)
    refused(repack(garbage, tmp_path / "garbage.tar.gz"), "the database in the archive is damaged")

    other = tmp_path / "other"
    shutil.copytree(folder, other)
    (other / "manifest.json").write_text(json.dumps({**manifest, "revisions": ["0001"]}))
    refused(repack(other, tmp_path / "other.tar.gz"), "are not the manifest's \\(0001\\)")

    newer = tmp_path / "newer"
    shutil.copytree(folder, newer)
    conn = sqlite3.connect(newer / "shopcrm.db")
    with conn:
        conn.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    conn.close()
    (newer / "manifest.json").write_text(json.dumps(
        {**manifest, "shopcrm_version": "9.0", "revisions": sorted([*manifest["revisions"], "9999_from_the_future"])}))
    refused(repack(newer, tmp_path / "newer.tar.gz"), "made by a newer ShopCRM \\(9.0; .*9999_from_the_future")

    future = tmp_path / "future"
    shutil.copytree(folder, future)
    (future / "manifest.json").write_text(json.dumps({**manifest, "format": 99}))
    refused(repack(future, tmp_path / "future.tar.gz"), "archive format 99 is not one this ShopCRM reads")

    restore(target, archive)  # the good one still restores
    assert counts(target.instance_path / "shopcrm.db") == (4, 4)


def test_a_different_environment_key_is_refused(make_install, tmp_path) -> None:
    source = make_install("source")
    archive = tmp_path / "shop.tar.gz"
    backup(source, archive)
    target = make_install("target", empty=True, SHOPCRM_SECRET_KEY="x" * 64)
    with pytest.raises(BackupError, match="SHOPCRM_SECRET_KEY is set and is not the key in the archive"):
        restore(target, archive)
    assert not (target.instance_path / "shopcrm.db").exists()
    same = make_install("same", empty=True, SHOPCRM_SECRET_KEY=source.secret_key())
    restore(same, archive)
    assert (same.instance_path / "shopcrm.db").exists()


def test_an_unreadable_database_counts_as_data_and_is_kept(make_install, tmp_path) -> None:
    source = make_install("source")
    add_orders(source, 1)
    archive = tmp_path / "shop.tar.gz"
    backup(source, archive)
    target = make_install("target", empty=True)
    (target.instance_path / "shopcrm.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="already holds data"):
        restore(target, archive)
    done = restore(target, archive, force=True)
    assert [path.read_bytes()[:21] for path in done.kept] == [b"not a database at all"]
    assert counts(target.instance_path / "shopcrm.db") == (1, 1)
