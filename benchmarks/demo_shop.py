"""Shared set-up for the benchmarks: a migrated scratch database holding a generated demo shop.

Not a benchmark itself (``run.py`` skips it).
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import Engine

from shopcrm import migrate
from shopcrm.db import make_engine, scratch_database, session_factory
from shopcrm.demo_data import generate
from shopcrm.models import Shop


@dataclass(slots=True)
class DemoShop:
    engine: Engine
    shop_id: int
    folder: str
    backend: str


@contextmanager
def demo_shop(name: str, customers: int, orders: int, seed: int) -> Iterator[DemoShop]:
    """A scratch database (SQLite, or beside ``DATABASE_URL``) with ``customers`` and ``orders``."""
    server = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory() as folder, \
            scratch_database(server, folder, f"shopcrm_bench_{name}_{os.getpid()}") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        with session_factory(engine, write=True)() as session:
            shop = Shop(name=f"bench {name}")
            session.add(shop)
            session.commit()
            shop_id = shop.id
        generate(engine, shop_id, customers=customers, orders=orders, seed=seed)
        try:
            yield DemoShop(engine, shop_id, folder, engine.dialect.name)
        finally:
            engine.dispose()
