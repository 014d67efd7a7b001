"""Staging: a batch matched to the stored orders by probing their unique key (PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, text

from shopcrm import staging
from shopcrm.models import Customer, Order, Shop

NOW = dt.datetime(2026, 11, 11, 8, 0)


def test_a_batch_is_matched_to_the_stored_orders_by_their_unique_key(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL query plan (SQLite has no hash join to avoid)")
    with engine.begin() as conn:
        shop_id = conn.execute(insert(Shop).values(name="探针店").returning(Shop.id)).scalar_one()
        customer_id = conn.execute(insert(Customer).values(
            shop_id=shop_id, identity="p:buyer", platform_id="buyer", order_count=0, total_paid=0,
            created_at=NOW, updated_at=NOW).returning(Customer.id)).scalar_one()
        conn.execute(insert(Order), [
            {"shop_id": shop_id, "customer_id": customer_id, "platform_order_id": f"o{n}", "status": "paid",
             "created_at": NOW, "imported_at": NOW, "updated_at": NOW} for n in range(3000)])
        conn.exec_driver_sql('ANALYZE "order"')
    sql = staging.Statements("postgresql")
    with engine.begin() as conn:
        rows = [(f"o{n}", customer_id, "paid", 0, 0, 0, NOW, None, None, None, None, None, None)
                for n in range(0, 3000, 3)]
        staging.load(conn, staging.ORDERS, staging.ORDER_VALUES, rows)
        explain = text(f"EXPLAIN {sql.match_orders.text}")

        def plan() -> str:
            return "\n".join(conn.execute(explain, {"shop": shop_id}).scalars())

        with staging.probing(conn):
            probed = plan()
            conn.execute(sql.match_orders, {"shop": shop_id})
        # The planner's own choices again after the block.
        assert conn.exec_driver_sql("SHOW enable_hashjoin").scalar() == "on"
        assert conn.exec_driver_sql("SHOW enable_mergejoin").scalar() == "on"
        matched = conn.execute(text("SELECT count(*) FROM stage_order WHERE id IS NOT NULL")).scalar_one()
    assert "Hash Join" not in probed and "Merge Join" not in probed, probed
    assert "Index Scan using uq_order_shop_id" in probed, probed
    assert matched == 1000
