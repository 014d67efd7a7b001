"""Shared set-up for the benchmarks: a migrated scratch database holding a generated demo shop.

Not a benchmark itself (``run.py`` skips it).

Generating a million customers with ten million orders takes minutes, so a generated shop is
kept for the next run with the same sizes and seed (and generator): an SQLite file in
``benchmarks/.cache/`` (or ``$SHOPCRM_BENCH_CACHE``), or a PostgreSQL database named
``shopcrm_benchcache_…`` used as the template of each run's scratch database. Every run works
on its own copy, migrated to the current schema; ``SHOPCRM_BENCH_CACHE=off`` generates afresh.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, select, text

from shopcrm import migrate
from shopcrm.db import make_engine, scratch_database, session_factory
from shopcrm.demo_data import generate
from shopcrm.models import Shop

HERE = Path(__file__).resolve().parent


@dataclass(slots=True)
class DemoShop:
    engine: Engine
    shop_id: int
    folder: str
    backend: str
    cached: bool = False


def _cache_key(customers: int, orders: int, seed: int) -> str:
    """Sizes, seed and the generator's source: a change to any is a new shop. (A newer schema is
    not: each copy is migrated to the current one before use.)"""
    from shopcrm import demo_data

    source = hashlib.sha256(Path(demo_data.__file__).read_bytes()).hexdigest()[:8]
    return f"{customers}c_{orders}o_s{seed}_{source}"


def _cache_folder() -> Path | None:
    setting = os.environ.get("SHOPCRM_BENCH_CACHE", str(HERE / ".cache"))
    return None if setting == "off" else Path(setting)


def _build(url: str, customers: int, orders: int, seed: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_factory(engine, write=True)() as session:
        shop = Shop(name="bench shop")
        session.add(shop)
        session.commit()
        shop_id = shop.id
    generate(engine, shop_id, customers=customers, orders=orders, seed=seed)
    engine.dispose()


def _pg_database_exists(server: str, name: str) -> bool:
    engine = make_engine(server)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
    finally:
        engine.dispose()


def _pg_copy(server: str, source: str, target: str) -> None:
    engine = make_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{source}"'))
    finally:
        engine.dispose()


def settle(engine: Engine) -> None:
    """Statistics for the planner, as a live database has them: ``ANALYZE``, and on PostgreSQL
    ``VACUUM`` too, which autovacuum would have run after a bulk load (it sets the visibility
    map that index-only scans rely on), then ``CHECKPOINT``, so that neither side of a benchmark
    pays for writing out the set-up's pages. On SQLite, likewise, the WAL goes back to the file
    and the file to the disk (``os.sync``): a copy of a cached shop is gigabytes the kernel would
    otherwise write back in the middle of a timed run. Both sides read the settled database."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    write_out(engine)


def write_out(engine: Engine) -> None:
    """What was written goes to the database's files and to the disk now, not by the kernel or
    the server's checkpointer in the middle of a timed run: ``CHECKPOINT`` on PostgreSQL; on
    SQLite the WAL back into the file, then ``os.sync``."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CHECKPOINT"))
    else:
        # SQLite answers busy at once, without waiting, while another checkpoint runs: the
        # process's checkpoint thread (shopcrm.checkpoints) may be copying the same log. Ignored,
        # that answer left a log of 900 MB beside a shop said to be written out.
        deadline = time.monotonic() + WRITE_OUT_TIMEOUT_S
        with engine.connect() as conn:
            while True:
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
                if not busy:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"SQLite's log of {engine.url.database} was still busy after "
                                       f"{WRITE_OUT_TIMEOUT_S} s of checkpoints: some connection keeps reading it")
                time.sleep(0.05)
        os.sync()


WRITE_OUT_TIMEOUT_S = 300
"""How long :func:`write_out` tries to write SQLite's log back before it gives up."""


@contextmanager
def demo_shop(name: str, customers: int, orders: int, seed: int) -> Iterator[DemoShop]:
    """A scratch database (SQLite, or beside ``DATABASE_URL``) with ``customers`` and ``orders``."""
    server = os.environ.get("DATABASE_URL")
    cache = _cache_folder()
    key = _cache_key(customers, orders, seed)
    postgres = bool(server) and not server.startswith("sqlite")
    cached = False
    template = None
    if cache is not None and postgres:
        template = f"shopcrm_benchcache_{key}"[:63]
        if not _pg_database_exists(server, template):
            with tempfile.TemporaryDirectory() as folder, \
                    scratch_database(server, folder, f"shopcrm_benchbuild_{os.getpid()}") as url:
                _build(url, customers, orders, seed)
                _pg_copy(server, url.rsplit("/", 1)[-1], template)
        else:
            cached = True
    with tempfile.TemporaryDirectory() as folder, \
            scratch_database(server, folder, f"shopcrm_bench_{name}_{os.getpid()}", template=template) as url:
        if cache is not None and not postgres:
            cached_file = cache / f"{key}.db"
            target = Path(url.removeprefix("sqlite:///"))
            if cached_file.exists():
                cached = True
            else:
                cache.mkdir(parents=True, exist_ok=True)
                _build(url, customers, orders, seed)
                partial = cached_file.with_suffix(".partial")
                shutil.copyfile(target, partial)
                partial.replace(cached_file)
            if cached:
                shutil.copyfile(cached_file, target)
        elif template is None:
            _build(url, customers, orders, seed)
        engine = make_engine(url)
        if cached:
            migrate.upgrade(engine)
        with engine.connect() as conn:
            shop_id = conn.execute(select(Shop.id).where(Shop.name == "bench shop")).scalar_one()
        try:
            yield DemoShop(engine, shop_id, folder, engine.dialect.name, cached)
        finally:
            engine.dispose()
