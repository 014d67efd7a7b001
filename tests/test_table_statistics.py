"""Planner statistics kept current while an import grows the tables (PostgreSQL only)."""
from __future__ import annotations

from sqlalchemy import Engine, func, insert, select, text

from shopcrm import table_statistics
from shopcrm.models import Shop
from shopcrm.table_statistics import GrowthWatch

COUNTED = text("SELECT reltuples FROM pg_class WHERE oid = CAST('shop' AS regclass)")


def _add_shops(engine: Engine, count: int, start: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Shop), [{"name": f"店{start + n}"} for n in range(count)])


def test_a_table_is_analyzed_once_it_has_grown_by_the_share(engine, monkeypatch) -> None:
    monkeypatch.setattr(table_statistics, "MIN_ROWS", 10)
    watch = GrowthWatch(("shop",))
    with engine.connect() as conn:
        if conn.dialect.name != "postgresql":  # SQLite's planner needs no statistics to probe
            _add_shops(engine, 50, 0)
            watch.wrote(conn, {"shop": 50})
            assert watch.analyzed == []
            assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 0
            return
        _add_shops(engine, 9, 0)
        watch.wrote(conn, {"shop": 9})  # fewer than MIN_ROWS: nothing yet
        assert watch.analyzed == []
        _add_shops(engine, 41, 9)
        watch.wrote(conn, {"shop": 41})
        assert watch.analyzed == ["shop"]
        shops = conn.execute(select(func.count()).select_from(Shop)).scalar_one()
        assert conn.execute(COUNTED).scalar_one() == shops  # a small table is read whole
        conn.commit()  # the watch writes in a transaction of its own
        _add_shops(engine, 9, 50)  # 9 more: under a fifth of what the statistics count
        watch.wrote(conn, {"shop": 9})
        assert watch.analyzed == ["shop"]
        _add_shops(engine, 6, 59)  # 15 since the last ANALYZE: a fifth or more
        watch.wrote(conn, {"shop": 6})
        assert watch.analyzed == ["shop", "shop"]
        assert conn.execute(COUNTED).scalar_one() == shops + 15
