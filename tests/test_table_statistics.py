"""Planner statistics kept current while writes grow the tables (PostgreSQL only)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert, text

from shopcrm import table_statistics
from shopcrm.ingest import Ingestor
from shopcrm.models import Shop
from shopcrm.sources import CustomerRecord, OrderRecord, OrderStatus
from shopcrm.table_statistics import GrowthWatch

NOW = dt.datetime(2026, 11, 22, 12, 0)
PAGES = text("SELECT relpages FROM pg_class WHERE oid = CAST(:name AS regclass)")


def _add_shops(engine: Engine, count: int, start: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Shop), [{"name": f"店{start + n}" + "铺" * 90} for n in range(count)])


def _postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner statistics (SQLite's planner probes without them)")


def test_on_sqlite_nothing_is_asked_nor_analyzed(engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the SQLite side of the watch")
    watch = GrowthWatch(("shop",))
    _add_shops(engine, 500, 0)
    with engine.connect() as conn:
        watch.wrote(conn, 500)
        assert watch.analyzed == []
        assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 0


def test_a_table_is_analyzed_once_its_file_has_grown_by_the_share(engine, monkeypatch) -> None:
    _postgresql(engine)
    monkeypatch.setattr(table_statistics, "CHECK_ROWS", 10)
    monkeypatch.setattr(table_statistics, "MIN_PAGES", 1)
    watch = GrowthWatch(("shop",))
    with engine.connect() as conn:
        _add_shops(engine, 60, 0)  # two pages or so, of rows of 300 bytes
        watch.wrote(conn, 9)  # fewer than CHECK_ROWS: nothing asked yet
        assert watch.analyzed == []
        watch.wrote(conn, 51)
        assert watch.analyzed == ['shop']
        pages = conn.execute(PAGES, {"name": "shop"}).scalar_one()
        assert pages >= 2  # the statistics now count the table's pages
        conn.commit()  # the watch works in a transaction of its own
        watch.wrote(conn, 60)  # asked again, but the file has not grown since
        assert watch.analyzed == ['shop']
        _add_shops(engine, 60, 60)  # written by another connection: the file's size tells all the same
        watch.wrote(conn, 10)
        assert watch.analyzed == ['shop', 'shop']
        assert conn.execute(PAGES, {"name": "shop"}).scalar_one() > pages


def test_a_table_another_process_is_analyzing_is_left_to_it(engine, monkeypatch) -> None:
    _postgresql(engine)
    monkeypatch.setattr(table_statistics, "CHECK_ROWS", 1)
    monkeypatch.setattr(table_statistics, "MIN_PAGES", 1)
    _add_shops(engine, 120, 0)
    watch = GrowthWatch(("shop",))
    with engine.connect() as other, engine.connect() as conn:
        oid = other.execute(text("SELECT CAST(CAST('shop' AS regclass) AS oid)")).scalar_one()
        other.execute(text("SELECT pg_advisory_xact_lock(:kind, :oid)"), {"kind": table_statistics.LOCK_KIND, "oid": oid})
        watch.wrote(conn, 1)
        assert watch.analyzed == []
        other.rollback()
        watch.wrote(conn, 1)
        assert watch.analyzed == ["shop"]


def test_small_writes_from_the_api_keep_the_statistics_current(engine, session, monkeypatch) -> None:
    """Ten orders at a time, as API calls write them: the shop's tables are analyzed as they grow
    (before this, only an import's big batches were, and every call read the whole shop)."""
    _postgresql(engine)
    shop = Shop(name="API店")
    session.add(shop)
    session.commit()
    with engine.connect() as conn:
        watch = table_statistics.watch(conn)  # the one every Ingestor of this process feeds
    before = len(watch.analyzed)
    for call in range(60):
        Ingestor(engine, shop.id, source="api").feed(
            OrderRecord(platform_order_id=f"api-{call}-{n}", status=OrderStatus.PAID,
                        customer=CustomerRecord(platform_id=f"buyer{call}-{n}"), total_amount=Decimal("128.00"),
                        paid_amount=Decimal("128.00"), created_at=NOW, paid_at=NOW)
            for n in range(10))
    analyzed = watch.analyzed[before:]
    assert '"order"' in analyzed and "customer" in analyzed
    with engine.connect() as conn:
        assert conn.execute(PAGES, {"name": '"order"'}).scalar_one() > 0
