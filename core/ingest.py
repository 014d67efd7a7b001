"""Ingestion: upserting what data sources read, in batches, set-based.

Every path that writes orders, customers or reviews (file imports, the API, demo data) goes
through an :class:`Ingestor`. Per batch it loads the customers and the orders into staging tables
(:mod:`shopcrm.staging`), inserts what is new and updates what really changed with one SQL
statement per table and step, writes each changed customer once together with its rollups
(recomputed in SQL from its orders), commits, and then raises ``on_order_event`` once per real
change, the batch's events in one :func:`~shopcrm.event_batch.event_batch`:

* a new order: ``order.created`` (whatever its status);
* a status change: ``order.<new status>`` (``order.paid``, ``order.shipped`` ...).

Reviews are written after the batch's orders (:mod:`shopcrm.reviews`), and each new one is handed
to the automation engine as ``review.created``.

Keys: orders by (shop, platform order id); customers by (shop, identity), the identity being the
platform id or, when there is none, ``tel:<mobile>``. Re-ingesting the same records changes
nothing and raises nothing. Datetimes in records are shop-local when naive; they are stored as
naive UTC. Customer fields are only overwritten by values the source actually has: a blank cell
never erases what is known.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from shopcrm import bulk, rollups, staging, table_statistics
from shopcrm.db import IMMEDIATE, session_factory, utcnow
from shopcrm.event_batch import event_batch
from shopcrm.messages import Message, N_
from shopcrm.mobiles import normalise_mobile
from shopcrm.models import OrderItem, Shop
from shopcrm.models.customer import customer_identity
from shopcrm.plugins import call_each, get_plugin_manager
from shopcrm.reviews import write_reviews
from shopcrm.sources import CustomerRecord, OrderEvent, OrderRecord, OrderStatus, ReviewRecord, RowError
from shopcrm.triggers import ReviewEvent

log = logging.getLogger(__name__)

BATCH_SIZE = 10_000
"""Rows per transaction: big enough that a repeat buyer is written once per batch, not once
per order, and that per-batch statements are few; small enough to keep memory bounded."""
SQLITE_CACHE_KIB = 64 * 1024
"""SQLite's page cache while importing (the default is 2 MiB): each batch probes and updates
customer and order index pages all over the file. Memory only, durability is unchanged."""
CENT = Decimal("0.01")
CUSTOMER_FIELDS = ("platform_id", "name", "mobile", "mobile_tail", "sms_reachable", "email", "gender",
                   "province", "city", "address", "birthday")
_TIMES = ("created_at", "paid_at", "shipped_at", "signed_at", "closed_at")


class Refused(Exception):
    """Raised by an all-or-nothing :class:`Ingestor` when any record was refused (by the
    ingestor, or a :class:`RowError` it was given): the batch's transaction is rolled back, and
    every refusal went to ``on_error``."""


@dataclass(slots=True)
class IngestStats:
    """Counts of one ingestion. ``inserted``/``updated``/``unchanged`` count orders for an order
    import, customers for a customer import and reviews for a review import."""

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    customers_inserted: int = 0
    customers_updated: int = 0
    events: int = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


@dataclass(slots=True)
class _Batch:
    orders: dict[str, tuple[OrderRecord, str]] = field(default_factory=dict)
    """platform order id -> (record, customer identity)"""
    customers: dict[str, tuple[dict[str, Any], list[str]]] = field(default_factory=dict)
    """identity -> (column values, tags)"""
    standalone_customers: int = 0
    reviews: list[ReviewRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.orders) + self.standalone_customers + len(self.reviews)


class Ingestor:
    """Feeds records into one shop's tables. Use :meth:`feed`, or :meth:`add` then :meth:`close`."""

    def __init__(
        self,
        engine: Engine,
        shop_id: int,
        source: str = "import",
        batch_size: int | None = None,
        on_error: Callable[[RowError], None] | None = None,
        on_batch: Callable[[IngestStats], None] | None = None,
        all_or_nothing: bool = False,
    ) -> None:
        self.engine = engine
        self.shop_id = shop_id
        self.source = source
        self.batch_size = batch_size or BATCH_SIZE
        self.on_error = on_error
        self.on_batch = on_batch
        self.all_or_nothing = all_or_nothing
        self.stats = IngestStats()
        self._batch = _Batch()
        self._engine = engine.execution_options(**{IMMEDIATE: True})
        self._sql = staging.Statements(engine.dialect.name)
        self._conn: Connection | None = None
        self._cache_size = 0
        with session_factory(engine)() as session:
            shop = session.get(Shop, shop_id)
            if shop is None:
                raise LookupError(f"shop {shop_id} does not exist")
            self._tz = ZoneInfo(shop.timezone)

    # --- feeding ------------------------------------------------------------------------------

    def feed(self, items: Iterable[OrderRecord | CustomerRecord | ReviewRecord | RowError]) -> IngestStats:
        try:
            for item in items:
                self.add(item)
            return self.close()
        finally:
            self._release()

    def add(self, item: OrderRecord | CustomerRecord | ReviewRecord | RowError) -> None:
        self.stats.rows += 1
        if isinstance(item, RowError):
            self._error(item)
            return
        if isinstance(item, ReviewRecord):
            self._batch.reviews.append(item)
        elif isinstance(item, OrderRecord):
            identity = self._stage_customer(item.customer, item.row)
            if identity is None:
                return
            previous = self._batch.orders.get(item.platform_order_id)
            if previous is not None:  # one row per item: the same order again
                item.items = previous[0].items + item.items
            self._batch.orders[item.platform_order_id] = (item, identity)
        else:
            if self._stage_customer(item, item.row) is None:
                return
            self._batch.standalone_customers += 1
        if len(self._batch) >= self.batch_size:
            self._flush()

    def close(self) -> IngestStats:
        try:
            if len(self._batch) or self._batch.customers:
                self._flush()
        finally:
            self._release()
        return self.stats

    def _error(self, error: RowError) -> None:
        self.stats.errors += 1
        if self.on_error is not None:
            self.on_error(error)

    def _stage_customer(self, record: CustomerRecord, row: int | None) -> str | None:
        """Normalise a customer into the batch, merged with earlier rows of the same person."""
        values = _customer_values(record)
        identity = customer_identity(values["platform_id"], values["mobile"] if values["sms_reachable"] else None)
        if identity is None:
            self._error(RowError(row or 0, "customer", str(NOBODY), record.mobile, message=NOBODY))
            return None
        known = self._batch.customers.get(identity)
        if known is None:
            self._batch.customers[identity] = (values, list(record.tags))
        else:
            known_values, tags = known
            known_values.update(_merge(known_values, values))
            tags.extend(tag for tag in record.tags if tag not in tags)
        return identity

    # --- writing ------------------------------------------------------------------------------

    def _flush(self) -> None:
        batch, self._batch = self._batch, _Batch()
        if self.all_or_nothing and self.stats.errors and not batch.reviews:
            raise Refused()  # nothing to write, nor any refusal left to find
        events: list[OrderEvent] = []
        reviewed: list[ReviewEvent] = []
        conn = self._connection()
        customers_before, new_orders = self.stats.customers_inserted, 0
        with conn.begin():
            if batch.customers:
                with staging.probing(conn):  # matched to the stored rows by key
                    ids = self._stage_customers(conn, batch)
                    if batch.orders:
                        events, changed, new_orders = self._upsert_orders(conn, batch, ids)
                if batch.orders:  # joins the two staging tables: hashing them is right
                    staging.stage_rollups(conn, orders_changed=changed > 0)
                now = {"now": utcnow()}
                with staging.probing(conn):
                    for write in (self._sql.write_rekeyed_customers, self._sql.write_changed_customers,
                                  self._sql.write_rollups):
                        conn.execute(write, now)
            if batch.reviews:
                reviewed = self._write_reviews(conn, batch.reviews)
            if self.all_or_nothing and self.stats.errors:
                raise Refused()  # rolls the batch back
        # Planner statistics of the tables every import and API call grows, and whatever the
        # batch's events add to (PostgreSQL).
        table_statistics.watch(conn).wrote(conn, self.stats.customers_inserted - customers_before + new_orders)
        self._emit(events)
        self._emit_reviews(reviewed)
        if self.on_batch is not None:
            self.on_batch(self.stats)

    def _connection(self) -> Connection:
        """The connection every batch is written on, one transaction each, so that its staging
        tables and, on SQLite, a page cache big enough for the customer and order indexes last
        from one batch to the next (the cache is given back in :meth:`_release`)."""
        if self._conn is None:
            conn = self._engine.connect()
            if conn.dialect.name == "sqlite":  # on the driver's connection: no transaction begins
                raw = conn.connection.driver_connection
                self._cache_size = int(raw.execute("PRAGMA cache_size").fetchone()[0])
                raw.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            self._conn = conn
        return self._conn

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.dialect.name == "sqlite" and not conn.invalidated:
                conn.connection.driver_connection.execute(f"PRAGMA cache_size = {self._cache_size}")
        finally:
            conn.close()

    def _stage_customers(self, conn: Connection, batch: _Batch) -> dict[str, int]:
        """Stage the batch's customers, note which stored ones really change, insert the new
        ones; returns ``{identity: customer id}`` for the whole batch. The stored customers are
        written once, with their rollups, when the batch's orders are (see :meth:`_flush`)."""
        tagged = False
        rows = []
        for identity, (values, tags) in batch.customers.items():
            tagged = tagged or bool(tags)
            rows.append((identity, *[values[f] for f in CUSTOMER_FIELDS], sorted(tags) if tags else None))
        staging.load(conn, staging.CUSTOMERS, staging.CUSTOMER_VALUES, rows)
        shop, now = {"shop": self.shop_id}, {"now": utcnow()}
        conn.execute(self._sql.match_customers, shop)
        if tagged:
            staging.merge_tags(conn)
        updated = conn.execute(staging.COUNT_CHANGED_CUSTOMERS).scalar_one()
        inserted = conn.execute(self._sql.insert_customers, {**shop, **now}).rowcount
        if inserted:
            conn.execute(self._sql.number_new_customers, shop)
        ids: dict[str, int] = dict(conn.execute(staging.CUSTOMER_IDS).all())
        self.stats.customers_inserted += inserted
        self.stats.customers_updated += updated
        if batch.standalone_customers:
            self.stats.inserted += inserted
            self.stats.updated += updated
            self.stats.unchanged += len(rows) - inserted - updated
        return ids

    def _upsert_orders(
        self, conn: Connection, batch: _Batch, customer_ids: dict[str, int]
    ) -> tuple[list[OrderEvent], int, int]:
        """Stage the batch's orders, update those that really change, insert the new ones with
        their items, refresh the rollups of customers orders moved away from; returns the
        events to raise, how many stored orders changed and how many orders are new."""
        staged = {oid: self._order_row(oid, record, customer_ids[identity])
                  for oid, (record, identity) in batch.orders.items()}
        staging.load(conn, staging.ORDERS, staging.ORDER_VALUES, staged.values())
        shop, now = {"shop": self.shop_id}, utcnow()
        conn.execute(self._sql.match_orders, shop)
        updated = conn.execute(self._sql.update_orders, {"now": now}).rowcount
        existing = conn.execute(staging.COUNT_STORED_ORDERS).scalar_one()
        changes = {row[0]: row[1:] for row in conn.execute(staging.STATUS_CHANGES)} if updated else {}
        new_ids: dict[str, int] = {}
        if existing < len(staged):
            new_ids = dict(conn.execute(self._sql.insert_orders, {**shop, "now": now, "source": self.source}).all())
            items = [(new_ids[oid], *_item_values(item))
                     for oid in new_ids for item in batch.orders[oid][0].items]
            if items:
                bulk.write(conn, OrderItem.__table__, _ITEM_COLUMNS, items)
        if updated:
            rollups.refresh(conn, staging.MOVED_AWAY)
        self.stats.inserted += len(new_ids)
        self.stats.updated += updated
        self.stats.unchanged += existing - updated
        events: list[OrderEvent] = []
        for oid, row in staged.items():
            if oid in new_ids:
                events.append(self._event(new_ids[oid], row, None, row[6]))
            elif oid in changes:
                order_id, previous, *times = changes[oid]
                status = row[2]
                events.append(self._event(order_id, row, previous, times[_TIMES.index(_STATUS_TIME[status])]))
        return events, updated, len(new_ids)

    def _event(self, order_id: int, row: tuple[Any, ...], previous: str | None, when: dt.datetime | None) -> OrderEvent:
        status = row[2]
        return OrderEvent(
            kind="order.created" if previous is None else f"order.{status}",
            shop_id=self.shop_id,
            order_id=order_id,
            customer_id=row[1],
            status=_STATUSES[status],
            previous_status=_STATUSES[previous] if previous else None,
            occurred_at=when or utcnow(),
            source=self.source,
        )

    def _order_row(self, oid: str, record: OrderRecord, customer_id: int) -> tuple[Any, ...]:
        """The staged values of an order, in :data:`staging.ORDER_VALUES` order: amounts to the
        cent, times in naive UTC, a missing creation time taken from the payment (or now)."""
        tz = self._tz
        created, paid_at, shipped, signed, closed = (
            _to_utc(record.created_at, tz), _to_utc(record.paid_at, tz), _to_utc(record.shipped_at, tz),
            _to_utc(record.signed_at, tz), _to_utc(record.closed_at, tz),
        )
        status = record.status
        return (
            oid, customer_id, status.value if isinstance(status, OrderStatus) else OrderStatus(status).value,
            _money(record.total_amount), _money(record.paid_amount), _money(record.refund_amount),
            created or paid_at or utcnow(), paid_at, shipped, signed, closed,
            _text(record.carrier, 40), _text(record.tracking_number, 64),
        )

    def _write_reviews(self, conn: Connection, records: Sequence[ReviewRecord]) -> list[ReviewEvent]:
        tz = self._tz
        counts = write_reviews(conn, self.shop_id, records, self.source, self._error,
                               lambda moment: _to_utc(moment, tz))  # type: ignore[arg-type,return-value]
        self.stats.inserted += counts.inserted
        self.stats.updated += counts.updated
        self.stats.unchanged += counts.unchanged
        return counts.events

    def _emit_reviews(self, events: Sequence[ReviewEvent]) -> None:
        """New reviews to the automation engine (a bad one alerts the shopkeeper); history
        is dropped by :func:`~shopcrm.automations.may_fire` without a query."""
        from shopcrm.automations import fire_many, may_fire
        from shopcrm.config import active_config

        fresh = [event for event in events if may_fire(event)]
        if fresh:
            fire_many(active_config(), fresh)
        self.stats.events += len(events)

    def _emit(self, events: Sequence[OrderEvent]) -> None:
        if not events:
            return
        if not get_plugin_manager().hook.on_order_event.get_hookimpls():
            self.stats.events += len(events)
            return
        with event_batch():  # handlers that batch run once for them all (shopcrm.event_batch)
            for event in events:
                for _plugin, _ in call_each("on_order_event", event=event):
                    pass
        self.stats.events += len(events)


NOBODY = Message(N_("no buyer id and no valid mobile: cannot tell who bought"))


def _customer_values(record: CustomerRecord) -> dict[str, Any]:
    raw = record.mobile
    if raw is not None and len(raw) == 11 and raw.isascii() and raw.isdigit() and raw[0] == "1" and raw[1] > "2":
        mobile, reachable = raw, True  # already a mainland mobile, as most sources give it
    else:
        mobile, reachable = normalise_mobile(raw)
    return {
        "platform_id": (record.platform_id or "").strip() or None,
        "name": record.name or None,
        "mobile": mobile,
        "mobile_tail": mobile[-4:] if reachable and mobile else None,
        "sms_reachable": reachable,
        "email": record.email or None,
        "gender": record.gender or None,
        "province": record.province or None,
        "city": record.city or None,
        "address": record.address or None,
        "birthday": record.birthday or None,
    }


_MOBILE_FIELDS = ("mobile", "mobile_tail", "sms_reachable")


def _merge(old: Any, new: dict[str, Any]) -> dict[str, Any]:
    """``old`` customer values updated with what ``new`` actually has: blanks never erase, and
    the mobile, its tail and reachability move together (a new invalid number replaces the old
    one and makes the customer unreachable, as the source says)."""
    merged = {f: (new[f] if new[f] not in (None, "") else old[f]) for f in CUSTOMER_FIELDS}
    source = new if new["mobile"] else old
    for name in _MOBILE_FIELDS:
        merged[name] = source[name]
    return merged


_ITEM_COLUMNS = ("order_id", "title", "sku", "platform_item_id", "quantity", "price")


def _item_values(item: Any) -> tuple[Any, ...]:
    return (item.title[:300], item.sku, item.platform_item_id, item.quantity,
            _money(item.price) if item.price is not None else None)


def _text(value: str | None, limit: int) -> str | None:
    """A short text field as stored: stripped, cut to its column, ``None`` when blank."""
    value = (value or "").strip()
    return value[:limit] or None


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(CENT)


def _to_utc(value: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # shop time: the zone's offset at that moment, looked up in C
        return value - tz.utcoffset(value)  # type: ignore[operator]
    return value.astimezone(dt.UTC).replace(tzinfo=None)


_STATUSES = {status.value: status for status in OrderStatus}
_STATUS_TIME = {  # when an order's change to a status happened
    "paid": "paid_at", "shipped": "shipped_at", "signed": "signed_at", "completed": "signed_at",
    "closed": "closed_at", "refunded": "closed_at", "pending_payment": "created_at"}
