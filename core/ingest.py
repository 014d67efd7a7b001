"""Ingestion: upserting what data sources read, in batches, set-based.

Every path that writes orders or customers (file imports, the API, demo data) goes through an
:class:`Ingestor`. Per batch it reads the existing rows for the batch's keys in one query per
table, inserts what is new and updates what really changed in bulk statements, refreshes the
touched customers' rollups, commits, and then raises ``on_order_event`` once per real change:

* a new order: ``order.created`` (whatever its status);
* a status change: ``order.<new status>`` (``order.paid``, ``order.shipped`` ...).

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

from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session

from shopcrm import bulk, rollups
from shopcrm.db import session_factory, utcnow
from shopcrm.mobiles import normalise_mobile
from shopcrm.models import Customer, Order, OrderItem, Shop
from shopcrm.models.customer import customer_identity
from shopcrm.plugins import call_each, get_plugin_manager
from shopcrm.sources import CustomerRecord, OrderEvent, OrderRecord, OrderStatus, RowError

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
CENT = Decimal("0.01")
CUSTOMER_FIELDS = ("platform_id", "name", "mobile", "mobile_tail", "sms_reachable", "email", "gender",
                   "province", "city", "address", "birthday")
ORDER_FIELDS = ("customer_id", "status", "total_amount", "paid_amount", "refund_amount", "created_at",
                "paid_at", "shipped_at", "signed_at", "closed_at")
_TIMES = ("created_at", "paid_at", "shipped_at", "signed_at", "closed_at")


@dataclass(slots=True)
class IngestStats:
    """Counts of one ingestion. ``inserted``/``updated``/``unchanged`` count orders for an order
    import and customers for a customer import."""

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

    def __len__(self) -> int:
        return len(self.orders) + self.standalone_customers


class Ingestor:
    """Feeds records into one shop's tables. Use :meth:`feed`, or :meth:`add` then :meth:`close`."""

    def __init__(
        self,
        engine: Engine,
        shop_id: int,
        source: str = "import",
        batch_size: int = BATCH_SIZE,
        on_error: Callable[[RowError], None] | None = None,
        on_batch: Callable[[IngestStats], None] | None = None,
    ) -> None:
        self.engine = engine
        self.shop_id = shop_id
        self.source = source
        self.batch_size = batch_size
        self.on_error = on_error
        self.on_batch = on_batch
        self.stats = IngestStats()
        self._batch = _Batch()
        self._sessions = session_factory(engine, write=True)
        with self._sessions() as session:
            shop = session.get(Shop, shop_id)
            if shop is None:
                raise LookupError(f"shop {shop_id} does not exist")
            self._tz = ZoneInfo(shop.timezone)

    # --- feeding ------------------------------------------------------------------------------

    def feed(self, items: Iterable[OrderRecord | CustomerRecord | RowError]) -> IngestStats:
        for item in items:
            self.add(item)
        return self.close()

    def add(self, item: OrderRecord | CustomerRecord | RowError) -> None:
        self.stats.rows += 1
        if isinstance(item, RowError):
            self._error(item)
            return
        if isinstance(item, OrderRecord):
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
        if len(self._batch) or self._batch.customers:
            self._flush()
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
            self._error(RowError(row or 0, "customer", "no buyer id and no valid mobile: cannot tell who bought",
                                 record.mobile))
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
        events: list[OrderEvent] = []
        with self._sessions() as session:
            ids = self._upsert_customers(session, batch)
            if batch.orders:
                events = self._upsert_orders(session, batch, ids)
            session.commit()
        self._emit(events)
        if self.on_batch is not None:
            self.on_batch(self.stats)

    def _upsert_customers(self, session: Session, batch: _Batch) -> dict[str, int]:
        records = batch.customers
        existing = {
            row.identity: row
            for row in session.execute(
                select(Customer.id, Customer.identity, *(getattr(Customer, f) for f in CUSTOMER_FIELDS), Customer.tags)
                .where(Customer.shop_id == self.shop_id, Customer.identity.in_(list(records)))
            )
        }
        ids = {identity: row.id for identity, row in existing.items()}
        new_rows: list[dict[str, Any]] = []
        changed_rows: list[dict[str, Any]] = []
        now = utcnow()
        standalone = batch.standalone_customers > 0
        for identity, (values, record_tags) in records.items():
            row = existing.get(identity)
            if row is None:
                new_rows.append({"shop_id": self.shop_id, "identity": identity, "created_at": now,
                                 "updated_at": now, "tags": sorted(record_tags), **values})
                continue
            merged = _merge(row._mapping, values)
            tags = sorted(set(row.tags or []) | set(record_tags)) if record_tags else (row.tags or [])
            if any(merged[f] != getattr(row, f) for f in CUSTOMER_FIELDS) or tags != (row.tags or []):
                changed_rows.append({"_id": row.id, "updated_at": now, "tags": tags, **merged})
            elif standalone:
                self.stats.unchanged += 1
        if new_rows:
            ids.update(_insert_keyed(session, Customer.__table__, new_rows, "identity",
                                     Customer.shop_id == self.shop_id))
        if changed_rows:
            session.connection().execute(
                update(Customer.__table__)
                .where(Customer.__table__.c.id == bindparam("_id"))
                .values({name: bindparam(name) for name in (*CUSTOMER_FIELDS, "tags", "updated_at")}),
                changed_rows,
            )
        self.stats.customers_inserted += len(new_rows)
        self.stats.customers_updated += len(changed_rows)
        if standalone:
            self.stats.inserted += len(new_rows)
            self.stats.updated += len(changed_rows)
        return ids

    def _upsert_orders(self, session: Session, batch: _Batch, customer_ids: dict[str, int]) -> list[OrderEvent]:
        existing = {
            row.platform_order_id: row
            for row in session.execute(
                select(Order.id, Order.platform_order_id, *(getattr(Order, f) for f in ORDER_FIELDS))
                .where(Order.shop_id == self.shop_id, Order.platform_order_id.in_(list(batch.orders)))
            )
        }
        now = utcnow()
        new_rows: list[dict[str, Any]] = []
        new_items: dict[str, list[dict[str, Any]]] = {}
        changed: list[dict[str, Any]] = []
        events: list[tuple[str, dict[str, Any], str | None]] = []
        touched: set[int] = set()
        for oid, (record, identity) in batch.orders.items():
            values = self._order_values(record, customer_ids[identity])
            row = existing.get(oid)
            if row is None:
                new_rows.append({"shop_id": self.shop_id, "platform_order_id": oid, "source": self.source,
                                 "imported_at": now, "updated_at": now, **values})
                new_items[oid] = [_item_values(item) for item in record.items]
                events.append((oid, values, None))
                touched.add(values["customer_id"])
                continue
            for name in _TIMES:  # a source that leaves a time out does not erase a known one
                if values[name] is None:
                    values[name] = getattr(row, name)
            if all(_same(values[f], getattr(row, f)) for f in ORDER_FIELDS):
                self.stats.unchanged += 1
                continue
            changed.append({"_id": row.id, "updated_at": now, **values})
            touched.update((values["customer_id"], row.customer_id))
            if row.status != values["status"]:
                events.append((oid, values, row.status))
        order_ids = {row.platform_order_id: row.id for row in existing.values()}
        if new_rows:
            order_ids.update(_insert_keyed(session, Order.__table__, new_rows, "platform_order_id",
                                           Order.shop_id == self.shop_id))
            items = [(order_ids[oid], *item) for oid, rows in new_items.items() for item in rows]
            if items:
                bulk.write(session.connection(), OrderItem.__table__, _ITEM_COLUMNS, items)
        if changed:
            table = Order.__table__
            session.connection().execute(
                update(table).where(table.c.id == bindparam("_id"))
                .values({name: bindparam(name) for name in (*ORDER_FIELDS, "updated_at")}),
                changed,
            )
        rollups.mark_dirty(session, touched)
        self.stats.inserted += len(new_rows)
        self.stats.updated += len(changed)
        return [
            OrderEvent(
                kind="order.created" if previous is None else f"order.{values['status']}",
                shop_id=self.shop_id,
                order_id=order_ids[oid],
                customer_id=values["customer_id"],
                status=OrderStatus(values["status"]),
                previous_status=OrderStatus(previous) if previous else None,
                occurred_at=_event_time(values, previous is None) or now,
                source=self.source,
            )
            for oid, values, previous in events
        ]

    def _order_values(self, record: OrderRecord, customer_id: int) -> dict[str, Any]:
        tz = self._tz
        values: dict[str, Any] = {
            "customer_id": customer_id,
            "status": OrderStatus(record.status).value,
            "total_amount": _money(record.total_amount),
            "paid_amount": _money(record.paid_amount),
            "refund_amount": _money(record.refund_amount),
        }
        for name in _TIMES:
            values[name] = _to_utc(getattr(record, name), tz)
        if values["created_at"] is None:
            values["created_at"] = values["paid_at"] or utcnow()
        return values

    def _emit(self, events: Sequence[OrderEvent]) -> None:
        if not events:
            return
        if not get_plugin_manager().hook.on_order_event.get_hookimpls():
            self.stats.events += len(events)
            return
        for event in events:
            for _plugin, _ in call_each("on_order_event", event=event):
                pass
        self.stats.events += len(events)


def _customer_values(record: CustomerRecord) -> dict[str, Any]:
    mobile, reachable = normalise_mobile(record.mobile)
    return {
        "platform_id": (record.platform_id or "").strip() or None,
        "name": record.name or None,
        "mobile": mobile,
        "mobile_tail": mobile[-4:] if reachable and mobile else None,
        "sms_reachable": reachable,
        "email": record.email or None,
        "gender": record.gender,
        "province": record.province or None,
        "city": record.city or None,
        "address": record.address or None,
        "birthday": record.birthday,
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


def _insert_keyed(session: Session, table: Any, rows: list[dict[str, Any]], key: str, scope: Any) -> dict[str, int]:
    """Insert new rows with the fastest bulk path, then read back ``{key: id}`` in one query.

    Cheaper than ``INSERT ... RETURNING`` row by row through the ORM; the rows are known to be
    new (this transaction just looked), so no conflict handling is needed.
    """
    columns = list(rows[0])
    bulk.write(session.connection(), table, columns, ([row[c] for c in columns] for row in rows))
    keys = [row[key] for row in rows]
    return dict(session.execute(select(table.c[key], table.c.id).where(scope, table.c[key].in_(keys))).all())


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(CENT)


def _to_utc(value: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _same(new: Any, old: Any) -> bool:
    if isinstance(new, Decimal) and old is not None:
        return new == Decimal(old).quantize(CENT)
    return bool(new == old)


_STATUS_TIME = {"paid": "paid_at", "shipped": "shipped_at", "signed": "signed_at", "completed": "signed_at",
                "closed": "closed_at", "refunded": "closed_at", "pending_payment": "created_at"}


def _event_time(values: dict[str, Any], created: bool) -> dt.datetime | None:
    """When the change happened, as far as the record tells: creation, or the new status's time."""
    if created:
        return values["created_at"]
    return values.get(_STATUS_TIME[values["status"]]) or None
