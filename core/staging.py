"""Staging tables: one batch of rows in a temporary table, so that upserts are set-based.

Ingestion loads each batch of customers and of orders into a temporary table of the writing
connection (``executemany`` on SQLite, ``COPY`` on PostgreSQL) and then compares, inserts and
updates with one SQL statement per step, whatever the batch's size: no per-row statement, no
``IN`` list of thousands of parameters, no Python comparison of every stored row. A stored
customer is written at most once per batch: its new values and its rollups (computed into the
staging table once the orders are written) in one ``UPDATE``, and only when one of them differs.

The tables are created on first use by each connection and emptied before each batch (on
PostgreSQL they also empty themselves at commit: ``ON COMMIT DELETE ROWS``, so no dead rows pile
up in a table autovacuum never visits). Their columns have the target tables' types, so values
are stored exactly as the ORM would store them.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import (JSON, Boolean, Column, Connection, Date, DateTime, Integer, MetaData, String, Table,
                        bindparam, column, or_, select, text, update)
from sqlalchemy.schema import CreateTable

from shopcrm import bulk, rollups
from shopcrm.models.base import Money

metadata = MetaData()


def _temporary(name: str, *columns: Column[Any]) -> Table:
    return Table(name, metadata, *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")


CUSTOMERS = _temporary(
    "stage_customer",
    Column("identity", String(120), nullable=False),
    Column("platform_id", String(100)),
    Column("name", String(100)),
    Column("mobile", String(20)),
    Column("mobile_tail", String(4)),
    Column("sms_reachable", Boolean),
    Column("email", String(200)),
    Column("gender", String(1)),
    Column("province", String(40)),
    Column("city", String(60)),
    Column("address", String(300)),
    Column("birthday", Date),
    Column("tags", JSON(none_as_null=True)),  # the complete new tags, or NULL when the batch does not change them
    Column("id", Integer),  # the customer's id (once it has one)
    Column("changed", Boolean, nullable=False, server_default=text("FALSE")),  # a stored value really differs
    Column("rekeyed", Boolean, nullable=False, server_default=text("FALSE")),  # ... the buyer id or the mobile
    # The customer's rollups: stored, then as they are once the batch's orders are written:
    Column("order_count", Integer, nullable=False, server_default=text("0")),
    Column("total_paid", Money, nullable=False, server_default=text("0")),
    Column("first_order_at", DateTime),
    Column("last_order_at", DateTime),
)
CUSTOMER_VALUES: tuple[str, ...] = (
    "identity", "platform_id", "name", "mobile", "mobile_tail", "sms_reachable", "email", "gender", "province",
    "city", "address", "birthday", "tags",
)
_ROLLUPS = ("order_count", "total_paid", "first_order_at", "last_order_at")

ORDERS = _temporary(
    "stage_order",
    Column("platform_order_id", String(64), nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("total_amount", Money, nullable=False),
    Column("paid_amount", Money, nullable=False),
    Column("refund_amount", Money, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("paid_at", DateTime),
    Column("shipped_at", DateTime),
    Column("signed_at", DateTime),
    Column("closed_at", DateTime),
    Column("carrier", String(40)),
    Column("tracking_number", String(64)),
    Column("id", Integer),  # the stored order's id, NULL for a new one
    Column("old_status", String(20)),  # ... and its status and customer before this batch
    Column("old_customer_id", Integer),
    Column("changed", Boolean, nullable=False, server_default=text("FALSE")),  # the stored order differs
)
ORDER_VALUES: tuple[str, ...] = (
    "platform_order_id", "customer_id", "status", "total_amount", "paid_amount", "refund_amount",
    "created_at", "paid_at", "shipped_at", "signed_at", "closed_at", "carrier", "tracking_number",
)


def load(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Empty ``table`` (creating it on this connection if needed) and fill it with ``rows``."""
    postgresql = conn.dialect.name == "postgresql"
    conn.execute(CreateTable(table, if_not_exists=True))
    if not postgresql:
        conn.exec_driver_sql(f"DELETE FROM {table.name}")
    count = bulk.write(conn, table, columns, rows)
    if postgresql:
        # Fresh statistics, or the planner guesses the batch's size and may scan whole tables.
        conn.exec_driver_sql(f"ANALYZE {table.name}")
    return count


@contextmanager
def probing(conn: Connection) -> Iterator[None]:
    """Join the batch's staged rows to the stored customers and orders through their unique
    keys and primary keys, one probe per staged row, within the block (PostgreSQL).

    Left to itself, PostgreSQL's planner reads every stored row of the shop and hashes it to
    match a batch of 10,000 whenever the table holds fewer than some millions of rows (it costs
    a probe as a read from disk): each batch then costs more than the one before. The probes
    are the right plan at any size: a batch is small, and the stored tables only grow. (SQLite
    probes by itself: it has no hash join.)"""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.exec_driver_sql("; ".join(f"SET LOCAL {name} = off" for name in _PROBE_ONLY))
    yield  # an error rolls the transaction back, and its settings with it
    conn.exec_driver_sql("; ".join(f"SET LOCAL {name} TO DEFAULT" for name in _PROBE_ONLY))


_PROBE_ONLY = ("enable_hashjoin", "enable_mergejoin")
"""What :func:`probing` turns off. It relies on statistics that know the stored tables' size
(:mod:`shopcrm.table_statistics`): with statistics of an empty table, the planner would probe
by reading the whole table once per staged row."""


# --- the set-based upserts ------------------------------------------------------------------------
# Customers: blanks never erase (COALESCE), the mobile, its tail and reachability move together,
# and a stored customer is updated only when a staged value really differs. Orders: a time, a
# courier or a waybill number the batch leaves out keeps the stored one; an order is updated only
# when something differs.

_PLAIN_CUSTOMER_FIELDS = ("platform_id", "name", "email", "gender", "province", "city", "address", "birthday")
_MOBILE_FIELDS = ("mobile", "mobile_tail", "sms_reachable")
_KEY_FIELDS = ("platform_id", "mobile", "mobile_tail")
"""Indexed customer columns a batch may change."""
_ORDER_FIXED = ("customer_id", "status", "total_amount", "paid_amount", "refund_amount", "created_at")
_ORDER_TIMES = ("paid_at", "shipped_at", "signed_at", "closed_at")
_ORDER_KEPT = (*_ORDER_TIMES, "carrier", "tracking_number")
"""Order columns a batch that leaves them out (NULL) does not erase."""
_NOW = bindparam("now", type_=DateTime())
SQLITE_NEEDED = (3, 35, 0)
"""The first SQLite with ``UPDATE ... FROM`` (3.33) and ``RETURNING`` (3.35)."""


class Statements:
    """The staged upserts for one dialect (they differ only in how NULL-safe inequality and an
    empty JSON list are spelled)."""

    def __init__(self, dialect: str) -> None:
        if dialect == "sqlite" and sqlite3.sqlite_version_info < SQLITE_NEEDED:
            raise RuntimeError(
                f"SQLite {sqlite3.sqlite_version} is too old for imports: UPDATE ... FROM and RETURNING need "
                f"{'.'.join(map(str, SQLITE_NEEDED))} or newer (a newer Python, or PostgreSQL)"
            )
        differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
        empty_tags = "CAST('[]' AS JSON)" if dialect == "postgresql" else "'[]'"
        customer_columns = ", ".join(CUSTOMER_VALUES)
        customer_values = ", ".join(f"COALESCE(tags, {empty_tags})" if f == "tags" else f for f in CUSTOMER_VALUES)

        def staged_differs(f: str) -> str:
            return f"stage_customer.{f} {differs} c.{f}"

        keys = [f"(stage_customer.platform_id IS NOT NULL AND {staged_differs('platform_id')})",
                f"(stage_customer.mobile IS NOT NULL AND ({staged_differs('mobile')} OR {staged_differs('mobile_tail')}))"]
        others = [f"(stage_customer.{f} IS NOT NULL AND {staged_differs(f)})" for f in _PLAIN_CUSTOMER_FIELDS
                  if f not in _KEY_FIELDS]
        others.append(f"(stage_customer.mobile IS NOT NULL AND {staged_differs('sms_reachable')})")
        self.match_customers = text(
            f"UPDATE stage_customer SET id = c.id, rekeyed = ({' OR '.join(keys)}), "
            f"changed = ({' OR '.join(keys + others)}), "
            f"{', '.join(f'{f} = c.{f}' for f in _ROLLUPS)} FROM customer AS c "
            "WHERE c.shop_id = :shop AND c.identity = stage_customer.identity"
        )
        """Note the stored customer of each staged one, its rollups, and whether a value the
        batch has differs (tags are compared by :func:`merge_tags`), an indexed one or not."""

        # Three writes, each customer in at most one, each setting only what may change: SQLite
        # maintains every index on a column an UPDATE sets, changed or not.
        values = {f: f"COALESCE(s.{f}, customer.{f})" for f in _PLAIN_CUSTOMER_FIELDS}
        values.update({f: f"CASE WHEN s.mobile IS NULL THEN customer.{f} ELSE s.{f} END" for f in _MOBILE_FIELDS})
        values["tags"] = "COALESCE(s.tags, customer.tags)"
        rollup_sets = [f"{f} = s.{f}" for f in _ROLLUPS] + ["updated_at = :now"]
        rollups_differ = " OR ".join(f"s.{f} {differs} customer.{f}" for f in _ROLLUPS)
        self.write_rekeyed_customers = text(
            f"UPDATE customer SET {', '.join([f'{f} = {v}' for f, v in values.items()] + rollup_sets)} "
            "FROM stage_customer AS s WHERE customer.id = s.id AND s.rekeyed"
        ).bindparams(_NOW)
        """Customers whose buyer id or mobile changes: every value and the rollups (blanks never
        erase; the mobile, its tail and reachability move together)."""
        unkeyed = [f"{f} = {v}" for f, v in values.items() if f not in _KEY_FIELDS]
        self.write_changed_customers = text(
            f"UPDATE customer SET {', '.join(unkeyed + rollup_sets)} "
            "FROM stage_customer AS s WHERE customer.id = s.id AND s.changed AND NOT s.rekeyed"
        ).bindparams(_NOW)
        """Customers whose other values change (a new address, say): those and the rollups."""
        self.write_rollups = text(
            f"UPDATE customer SET {', '.join(rollup_sets)} FROM stage_customer AS s "
            f"WHERE customer.id = s.id AND NOT s.changed AND ({rollups_differ})"
        ).bindparams(_NOW)
        """The other staged customers: their rollups, where they change."""

        self.insert_customers = text(
            f"INSERT INTO customer (shop_id, {customer_columns}, order_count, total_paid, created_at, updated_at) "
            f"SELECT :shop, {customer_values}, 0, 0, :now, :now "
            "FROM stage_customer WHERE id IS NULL"
        ).bindparams(_NOW)
        """Insert the new customers; rowcount = how many."""

        self.number_new_customers = text(
            "UPDATE stage_customer SET id = c.id FROM customer AS c "
            "WHERE stage_customer.id IS NULL AND c.shop_id = :shop AND c.identity = stage_customer.identity"
        )
        """Note the ids the new customers were given."""

        changed = [f'o.{f} <> stage_order.{f}' for f in _ORDER_FIXED]
        changed += [f"(stage_order.{f} IS NOT NULL AND stage_order.{f} {differs} o.{f})" for f in _ORDER_KEPT]
        self.match_orders = text(
            "UPDATE stage_order SET id = o.id, old_status = o.status, old_customer_id = o.customer_id, "
            f"changed = ({' OR '.join(changed)}) "
            'FROM "order" AS o WHERE o.shop_id = :shop AND o.platform_order_id = stage_order.platform_order_id'
        )
        """Note each staged order's stored id, status and customer, and whether it differs."""

        sets = [f"{f} = s.{f}" for f in _ORDER_FIXED]
        sets += [f'{f} = COALESCE(s.{f}, "order".{f})' for f in _ORDER_KEPT]
        self.update_orders = text(
            f'UPDATE "order" SET {", ".join(sets)}, updated_at = :now '
            'FROM stage_order AS s WHERE "order".id = s.id AND s.changed'
        ).bindparams(_NOW)
        """Update the stored orders that differ; rowcount = how many."""

        order_columns = ", ".join(ORDER_VALUES)
        self.insert_orders = text(
            f'INSERT INTO "order" (shop_id, {order_columns}, source, imported_at, updated_at) '
            f"SELECT :shop, {order_columns}, :source, :now, :now FROM stage_order WHERE id IS NULL "
            "RETURNING platform_order_id, id"
        ).bindparams(_NOW)
        """Insert the new orders; returns their ``(platform order id, id)``."""


COUNT_STORED_ORDERS = text("SELECT count(id) FROM stage_order")
"""How many staged orders were already stored."""

STATUS_CHANGES = text(
    "SELECT s.platform_order_id, s.id, s.old_status, o.created_at, o.paid_at, o.shipped_at, o.signed_at, "
    'o.closed_at FROM stage_order AS s JOIN "order" AS o ON o.id = s.id '
    "WHERE s.changed AND s.status <> s.old_status"
).columns(
    column("platform_order_id", String), column("id", Integer), column("old_status", String),
    *(column(name, DateTime) for name in ("created_at", *_ORDER_TIMES)),
)
"""The updated orders whose status changed, with their times as now stored."""

CUSTOMER_IDS = text("SELECT identity, id FROM stage_customer")
"""``(identity, id)`` of every staged customer."""

COUNT_CHANGED_CUSTOMERS = text("SELECT count(*) FROM stage_customer WHERE changed")
"""How many stored customers the batch really changes."""

MOVED_AWAY = select(ORDERS.c.old_customer_id).where(ORDERS.c.changed, ORDERS.c.old_customer_id != ORDERS.c.customer_id)
"""The customers that changed orders moved away from (their rollups change too)."""


def stage_rollups(conn: Connection, orders_changed: bool) -> None:
    """Compute the staged customers' rollups, as they are once the batch's orders are written,
    into the staging table (which holds the stored rollups, zeros for new customers).

    A customer whose orders the batch only adds to gets the stored rollups plus those of the
    new orders (:func:`rollups.add`): a repeat buyer's long history is not read again in every
    batch. A customer a changed order belongs or belonged to is recomputed from all its orders.
    """
    new_orders = select(ORDERS).where(ORDERS.c.id.is_(None)).subquery("new_order")
    more = rollups.aggregate(None, None, orders=new_orders)
    added = update(CUSTOMERS).where(CUSTOMERS.c.id == more.c.customer_id).values(rollups.add(CUSTOMERS.c, more.c))
    if not orders_changed:
        conn.execute(added)
        return
    recompute = (select(ORDERS.c.customer_id).where(ORDERS.c.changed)
                 .union(select(ORDERS.c.old_customer_id).where(ORDERS.c.changed)))
    conn.execute(added.where(CUSTOMERS.c.id.not_in(recompute)))
    conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.id.in_(recompute)).values(
        order_count=0, total_paid=0, first_order_at=None, last_order_at=None))
    agg = rollups.aggregate(select(CUSTOMERS.c.id).where(CUSTOMERS.c.id.in_(recompute)), None)
    conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.id == agg.c.customer_id)
                 .values({name: agg.c[name] for name in _ROLLUPS}))


def merge_tags(conn: Connection) -> None:
    """Staged tags of stored customers become the union with their stored tags, or NULL when
    that changes nothing (a sorted list, as new customers get)."""
    from shopcrm.models import Customer

    stored = Customer.__table__
    rows = conn.execute(
        select(CUSTOMERS.c.identity, CUSTOMERS.c.tags, stored.c.tags)
        .where(stored.c.id == CUSTOMERS.c.id, CUSTOMERS.c.tags.is_not(None))
    ).all()
    merged = []
    for identity, new, old in rows:
        tags = sorted(set(old or []) | set(new))
        same = tags == (old or [])
        merged.append({"key": identity, "merged": None if same else tags, "differs": not same})
    if merged:
        conn.execute(
            update(CUSTOMERS).where(CUSTOMERS.c.identity == bindparam("key"))
            .values(tags=bindparam("merged"), changed=or_(CUSTOMERS.c.changed, bindparam("differs", type_=Boolean))),
            merged,
        )
