"""Ingestion: batched upserts that change nothing twice and raise one event per real change."""
from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shopcrm.ingest import Ingestor
from shopcrm.models import Customer, Order, OrderItem, Shop
from shopcrm.plugins import reset_plugin_manager
from shopcrm.sources import CustomerRecord, OrderItemRecord, OrderRecord, OrderStatus, RowError
from tests.plugin_fixtures import write_plugin_file

D = Decimal
LOCAL = dt.datetime(2026, 11, 11, 0, 5)  # shop time, Asia/Shanghai
UTC = dt.datetime(2026, 11, 10, 16, 5)


@pytest.fixture
def shop(session):
    shop = Shop(name="Ingest shop")
    session.add(shop)
    session.commit()
    return shop


@pytest.fixture
def events(config, tmp_path, monkeypatch):
    """The order events plugins receive, recorded by a loose plugin."""
    write_plugin_file(tmp_path / "loose", "recorder", """
        from shopcrm import hookimpl

        EVENTS = []

        @hookimpl
        def on_order_event(event):
            EVENTS.append(event)
    """)
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(tmp_path / "loose"))
    reset_plugin_manager()
    from shopcrm.plugins import get_plugin_manager

    get_plugin_manager()
    return sys.modules["shopcrm_loose_plugins.recorder"].EVENTS


def order(oid="1001", status=OrderStatus.PAID, nick="tb_buyer", mobile="13812345678", paid="99.00", **kw):
    customer = CustomerRecord(platform_id=nick, mobile=mobile, name=kw.pop("name", "张三"),
                              province=kw.pop("province", "浙江省"), city=kw.pop("city", "杭州市"))
    return OrderRecord(platform_order_id=oid, status=status, customer=customer, paid_amount=D(paid),
                       total_amount=D(paid), created_at=kw.pop("created_at", LOCAL), **kw)


def ingest(engine, shop, records, **kw):
    errors = []
    stats = Ingestor(engine, shop.id, on_error=errors.append, **kw).feed(records)
    return stats, errors


def test_new_orders_create_customers_items_and_rollups(engine, session, shop, events):
    stats, errors = ingest(engine, shop, [
        order("1", items=[OrderItemRecord("保温杯", 2, D("49.50"))]),
        order("2", paid="10", created_at=LOCAL + dt.timedelta(days=1)),
        order("3", nick="tb_other", mobile="+86 139-0000-1111", status=OrderStatus.PENDING_PAYMENT),
    ])
    assert errors == []
    assert (stats.inserted, stats.updated, stats.unchanged, stats.customers_inserted) == (3, 0, 0, 2)
    buyer = session.scalar(select(Customer).where(Customer.identity == "tb_buyer"))
    assert (buyer.order_count, buyer.total_paid, buyer.first_order_at) == (2, D("109.00"), UTC)
    assert (buyer.mobile, buyer.mobile_tail, buyer.sms_reachable) == ("13812345678", "5678", True)
    other = session.scalar(select(Customer).where(Customer.identity == "tb_other"))
    assert (other.mobile, other.order_count) == ("13900001111", 0)
    item = session.scalar(select(OrderItem))
    assert (item.title, item.quantity, item.price) == ("保温杯", 2, D("49.50"))
    assert [e.kind for e in events] == ["order.created"] * 3
    assert events[0].occurred_at == UTC and events[0].status is OrderStatus.PAID


def test_the_same_records_twice_change_nothing_and_raise_nothing(engine, session, shop, events):
    records = [order("1"), order("2", nick="tb_two", mobile=None)]
    ingest(engine, shop, records)
    del events[:]
    stats, _ = ingest(engine, shop, [order("1"), order("2", nick="tb_two", mobile=None)])
    assert (stats.inserted, stats.updated, stats.unchanged, stats.customers_updated) == (0, 0, 2, 0)
    assert events == []
    assert session.scalar(select(func.count()).select_from(Order)) == 2


def test_a_newer_status_updates_the_order_and_raises_one_event(engine, session, shop, events):
    ingest(engine, shop, [order("1", status=OrderStatus.PENDING_PAYMENT, paid="0")])
    del events[:]
    shipped = LOCAL + dt.timedelta(days=2)
    stats, _ = ingest(engine, shop, [order("1", status=OrderStatus.SHIPPED, paid_at=LOCAL, shipped_at=shipped)])
    assert (stats.updated, stats.unchanged) == (1, 0)
    assert [(e.kind, e.previous_status) for e in events] == [("order.shipped", OrderStatus.PENDING_PAYMENT)]
    assert events[0].occurred_at == UTC + dt.timedelta(days=2)
    buyer = session.scalar(select(Customer))
    assert (buyer.order_count, buyer.total_paid) == (1, D("99.00"))
    # An amount corrected without a status change updates the order but raises no event.
    del events[:]
    stats, _ = ingest(engine, shop, [order("1", status=OrderStatus.SHIPPED, paid="95", paid_at=LOCAL, shipped_at=shipped)])
    assert stats.updated == 1 and events == []


def test_the_parcel_is_kept_when_a_later_record_leaves_it_out_and_updated_when_it_changes(engine, session, shop, events):
    shipped = LOCAL + dt.timedelta(days=1)
    ingest(engine, shop, [order("1", status=OrderStatus.SHIPPED, paid_at=LOCAL, shipped_at=shipped,
                                carrier=" 中通快递 ", tracking_number="73512345678901")])
    stats, _ = ingest(engine, shop, [order("1", status=OrderStatus.SIGNED, signed_at=shipped + dt.timedelta(days=2))])
    assert stats.updated == 1
    stored = session.scalar(select(Order))
    assert (stored.carrier, stored.tracking_number, stored.paid_at) == ("中通快递", "73512345678901", UTC)
    del events[:]
    stats, _ = ingest(engine, shop, [order("1", status=OrderStatus.SIGNED, tracking_number="SF100200300")])
    assert (stats.updated, events) == (1, [])  # a corrected waybill: the order changes, nothing is raised
    session.rollback()  # see what was written since
    assert (session.scalar(select(Order.tracking_number)), session.scalar(select(Order.carrier))) == (
        "SF100200300", "中通快递")
    stats, _ = ingest(engine, shop, [order("1", status=OrderStatus.SIGNED, tracking_number="SF100200300")])
    assert stats.unchanged == 1


def test_a_blank_never_erases_and_an_invalid_mobile_is_kept_unreachable(engine, session, shop):
    ingest(engine, shop, [order("1", name="李四", province="广东省", city="深圳市")])
    ingest(engine, shop, [order("2", name=None, province=None, city=None, mobile="0571-8888")])
    buyer = session.scalar(select(Customer))
    assert (buyer.name, buyer.province, buyer.city) == ("李四", "广东省", "深圳市")
    assert (buyer.mobile, buyer.sms_reachable, buyer.mobile_tail) == ("0571-8888", False, None)


def test_a_customer_known_only_by_mobile_is_one_person(engine, session, shop):
    ingest(engine, shop, [order("1", nick=None), order("2", nick="", mobile="8613812345678")])
    assert session.scalars(select(Customer.identity)).all() == ["tel:13812345678"]


def test_rows_without_buyer_or_valid_mobile_are_reported_and_the_rest_kept(engine, session, shop):
    bad = order("2", nick=None, mobile="12345", row=7)
    stats, errors = ingest(engine, shop, [order("1"), bad, RowError(9, "订单付款时间", "not a date", "yesterday")])
    assert stats.inserted == 1 and stats.errors == 2
    assert errors[0].row == 7 and "no buyer id and no valid mobile" in errors[0].reason
    assert errors[1].column == "订单付款时间"


def test_item_rows_of_one_order_are_merged(engine, session, shop):
    ingest(engine, shop, [
        order("1", items=[OrderItemRecord("杯子", 1)]),
        order("1", items=[OrderItemRecord("杯盖", 2)]),
    ])
    assert sorted(session.scalars(select(OrderItem.title))) == ["杯子", "杯盖"]


def test_customer_records_upsert_and_count_customers(engine, session, shop):
    records = [CustomerRecord(platform_id="tb_a", name="A", tags=["vip"]), CustomerRecord(mobile="13700000000")]
    stats, _ = ingest(engine, shop, records)
    assert (stats.inserted, stats.updated, stats.unchanged) == (2, 0, 0)
    stats, _ = ingest(engine, shop, [CustomerRecord(platform_id="tb_a", tags=["new"]), CustomerRecord(mobile="13700000000")])
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 1, 1)
    assert session.scalar(select(Customer.tags).where(Customer.identity == "tb_a")) == ["new", "vip"]


def test_batches_commit_as_they_go(engine, session, shop):
    seen = []
    Ingestor(engine, shop.id, batch_size=10, on_batch=lambda s: seen.append(s.inserted)).feed(
        order(str(i), nick=f"n{i % 7}") for i in range(35)
    )
    assert seen == [10, 20, 30, 35]
    assert session.scalar(select(func.count()).select_from(Order)) == 35


def test_an_unknown_shop_is_refused(engine):
    with pytest.raises(LookupError, match="shop 999 does not exist"):
        Ingestor(engine, 999)


def test_a_record_without_a_time_keeps_the_known_one(engine, session, shop):
    ingest(engine, shop, [order("1", paid_at=LOCAL, shipped_at=LOCAL + dt.timedelta(days=1),
                                status=OrderStatus.SHIPPED)])
    stats, _ = ingest(engine, shop, [order("1", paid_at=None, shipped_at=None, status=OrderStatus.SHIPPED)])
    assert stats.unchanged == 1
    assert session.scalar(select(Order.shipped_at)) == UTC + dt.timedelta(days=1)


def test_each_changed_order_field_is_detected_and_nothing_else(engine, session, shop, events):
    paid_at = LOCAL + dt.timedelta(minutes=3)
    base = dict(status=OrderStatus.PAID, paid="99.00", paid_at=paid_at)
    ingest(engine, shop, [order("1", **base), order("2", **base), order("3", **base), order("4", **base)])
    del events[:]
    stats, _ = ingest(engine, shop, [
        order("1", **base),                                                     # the same
        order("2", **{**base, "paid": "99.01"}),                                # a cent more
        order("3", **{**base, "paid_at": paid_at + dt.timedelta(seconds=1)}),   # a second later
        order("4", **{**base, "paid_at": None}),                                # a time left out
    ])
    assert (stats.updated, stats.unchanged) == (2, 2)
    assert events == []
    paid = dict(session.execute(select(Order.platform_order_id, Order.paid_amount)).all())
    assert paid == {"1": D("99.00"), "2": D("99.01"), "3": D("99.00"), "4": D("99.00")}
    assert session.scalar(select(Order.paid_at).where(Order.platform_order_id == "4")) == UTC + dt.timedelta(minutes=3)


def test_an_order_moved_to_another_buyer_refreshes_both_rollups(engine, session, shop, events):
    ingest(engine, shop, [order("1", nick="tb_a"), order("2", nick="tb_a", paid="1")])
    del events[:]
    stats, _ = ingest(engine, shop, [order("1", nick="tb_b")])
    assert (stats.updated, stats.customers_inserted) == (1, 1)
    assert events == []  # the status is the same
    rollup = dict(session.execute(select(Customer.identity, Customer.total_paid)).all())
    assert rollup == {"tb_a": D("1.00"), "tb_b": D("99.00")}


def test_status_events_carry_the_stored_time_when_the_file_leaves_it_out(engine, session, shop, events):
    shipped = LOCAL + dt.timedelta(days=1)
    ingest(engine, shop, [order("1", status=OrderStatus.PAID, paid_at=LOCAL, shipped_at=shipped)])
    ingest(engine, shop, [order("2", status=OrderStatus.PAID)])
    del events[:]
    stats, _ = ingest(engine, shop, [
        order("2", status=OrderStatus.PAID),
        order("1", status=OrderStatus.SHIPPED, paid_at=None, shipped_at=None),
        order("3", status=OrderStatus.PAID),
    ])
    assert (stats.inserted, stats.updated, stats.unchanged) == (1, 1, 1)
    assert [(e.kind, e.previous_status) for e in events] == [("order.shipped", OrderStatus.PAID), ("order.created", None)]
    assert events[0].occurred_at == UTC + dt.timedelta(days=1)
    ids = dict(session.execute(select(Order.platform_order_id, Order.id)).all())
    assert [e.order_id for e in events] == [ids["1"], ids["3"]]


def test_a_customer_changes_only_when_a_value_really_differs(engine, session, shop):
    ingest(engine, shop, [CustomerRecord(platform_id="tb_a", name="A", mobile="13800000001", tags=["b", "a"])])
    stats, _ = ingest(engine, shop, [
        CustomerRecord(platform_id="tb_a", name=None, mobile=None, tags=["a"]),  # blanks and known tags
    ])
    assert (stats.updated, stats.unchanged) == (0, 1)
    stats, _ = ingest(engine, shop, [CustomerRecord(platform_id="tb_a", mobile="010-1234")])
    assert stats.updated == 1
    buyer = session.scalar(select(Customer))
    assert (buyer.name, buyer.mobile, buyer.mobile_tail, buyer.sms_reachable, buyer.tags) == (
        "A", "010-1234", None, False, ["a", "b"])
    stats, _ = ingest(engine, shop, [CustomerRecord(platform_id="tb_a", tags=["c"])])
    assert stats.updated == 1
    session.rollback()  # a new snapshot (SQLite WAL keeps the old one within a transaction)
    assert session.scalar(select(Customer.tags)) == ["a", "b", "c"]


def test_new_customers_without_tags_get_an_empty_list(engine, session, shop):
    ingest(engine, shop, [order("1")])
    assert session.scalar(select(Customer.tags)) == []


def test_mobiles_are_normalised_whatever_their_shape(engine, session, shop):
    ingest(engine, shop, [
        order("1", nick="a", mobile="13812345678"),
        order("2", nick="b", mobile="12812345678"),    # 11 digits but no mainland mobile
        order("3", nick="c", mobile="0086 139-0000-1111"),
        order("4", nick="d", mobile="１３８１２３４５６７８"),  # full-width digits are not taken as they are
    ])
    rows = session.execute(select(Customer.identity, Customer.mobile, Customer.sms_reachable, Customer.mobile_tail)
                           .order_by(Customer.identity)).all()
    assert [tuple(r) for r in rows] == [
        ("a", "13812345678", True, "5678"), ("b", "12812345678", False, None),
        ("c", "13900001111", True, "1111"), ("d", "１３８１２３４５６７８", False, None),
    ]


def _rollups(session):
    session.rollback()
    return sorted(tuple(r) for r in session.execute(select(
        Customer.identity, Customer.order_count, Customer.total_paid, Customer.first_order_at, Customer.last_order_at)))


def test_rollups_written_with_each_batch_equal_a_full_recompute(engine, session, shop):
    from shopcrm import rollups

    day = dt.timedelta(days=1)
    ingest(engine, shop, [
        order(str(i), nick=f"tb_{i % 4}", paid=f"{10 + i}.10", created_at=LOCAL + i * day, paid_at=LOCAL + i * day)
        for i in range(10)
    ], batch_size=3)
    stats, _ = ingest(engine, shop, [
        order("1", nick="tb_1", status=OrderStatus.CLOSED, paid="11.10", created_at=LOCAL + day),  # no longer paid
        order("2", nick="tb_new", paid="12.10", created_at=LOCAL + 2 * day),                        # to a new buyer
        order("3", nick="tb_0", paid="13.10", created_at=LOCAL + 3 * day),                          # to another buyer
        order("10", nick="tb_1", paid="5", created_at=LOCAL - day),
        CustomerRecord(platform_id="tb_0", name="零"),  # a customer row: rollups stay
        CustomerRecord(platform_id="tb_none"),          # no orders at all
    ], batch_size=4)
    assert stats.errors == 0
    written = _rollups(session)
    with engine.begin() as conn:
        rollups.refresh(conn, shop_id=shop.id)
    assert _rollups(session) == written
    by_identity = {r[0]: r[1:3] for r in written}
    assert by_identity["tb_new"] == (1, D("12.10"))
    assert by_identity["tb_none"] == (0, D("0"))
    assert by_identity["tb_2"] == (1, D("16.10"))  # order 2 moved away, order 6 stays
    assert by_identity["tb_1"] == (3, D("5.00") + D("15.10") + D("19.10"))


def test_a_reimport_writes_no_customer(engine, session, shop):
    records = [order("1"), order("2", nick="tb_two", mobile=None)]
    ingest(engine, shop, records)
    session.rollback()
    stamps = session.execute(select(Customer.identity, Customer.updated_at)).all()
    ingest(engine, shop, [order("1"), order("2", nick="tb_two", mobile=None)])
    session.rollback()
    assert session.execute(select(Customer.identity, Customer.updated_at)).all() == stamps


def test_an_sqlite_without_update_from_is_refused_with_a_clear_message(monkeypatch):
    from shopcrm import staging

    monkeypatch.setattr(staging.sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(staging.sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(RuntimeError, match=r"SQLite 3\.31\.1 is too old for imports.*3\.35\.0"):
        staging.Statements("sqlite")
    staging.Statements("postgresql")  # PostgreSQL does not care


def test_rollups_added_batch_by_batch_equal_a_full_recompute(engine, session, shop):
    """New orders only: rollups grow from the stored ones, whatever the order of times, statuses
    and refunds across batches."""
    import random

    from shopcrm import rollups

    rng = random.Random(7)
    statuses = [OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PENDING_PAYMENT, OrderStatus.REFUNDED,
                OrderStatus.SHIPPED, OrderStatus.CLOSED]
    records = []
    for i in range(120):
        when = LOCAL + dt.timedelta(hours=rng.randrange(-500, 500))
        records.append(order(
            str(i), nick=f"tb_{int(6 * rng.random() ** 2)}", status=rng.choice(statuses),
            paid=f"{rng.randrange(1, 50000) / 100:.2f}", created_at=when,
            paid_at=rng.choice([None, when + dt.timedelta(minutes=5)]),
            refund_amount=D(rng.choice(["0", "0", "1.10"])),
        ))
    ingest(engine, shop, records, batch_size=7)
    written = _rollups(session)
    assert sum(r[1] for r in written) > 0
    with engine.begin() as conn:
        rollups.refresh(conn, shop_id=shop.id)
    assert _rollups(session) == written


def test_a_new_address_or_a_new_mobile_alone_is_written_and_nothing_else_changes(engine, session, shop):
    ingest(engine, shop, [order("1", nick="tb_a", mobile="13800000001", province="浙江省", city="杭州市")])
    stats, _ = ingest(engine, shop, [order("2", nick="tb_a", mobile=None, province="广东省", city=None)])
    assert stats.customers_updated == 1
    stats, _ = ingest(engine, shop, [order("3", nick="tb_a", mobile="13900000002", province=None, city=None)])
    assert stats.customers_updated == 1
    session.rollback()
    buyer = session.scalar(select(Customer))
    assert (buyer.province, buyer.city, buyer.mobile, buyer.mobile_tail, buyer.sms_reachable) == (
        "广东省", "杭州市", "13900000002", "0002", True)
    assert (buyer.order_count, buyer.total_paid) == (3, D("297.00"))
    assert session.scalars(select(Customer.id).where(Customer.mobile_tail == "0002")).all() == [buyer.id]


def test_batches_share_one_connection_given_back_as_it_was(engine, shop):
    sqlite = engine.dialect.name == "sqlite"
    seen, raw, default = [], None, None
    if sqlite:
        with engine.connect() as conn:
            default = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()

    def on_batch(stats):
        nonlocal raw
        seen.append(ingestor._conn)
        if sqlite:  # a bigger page cache while importing
            raw = ingestor._conn.connection.driver_connection
            assert raw.execute("PRAGMA cache_size").fetchone()[0] == -64 * 1024

    ingestor = Ingestor(engine, shop.id, batch_size=2, on_batch=on_batch)
    ingestor.feed(order(str(i)) for i in range(5))
    assert len(seen) == 3 and seen[0] is seen[1] is seen[2] is not None
    assert ingestor._conn is None
    if sqlite:  # ... and the pooled connection's own afterwards
        assert raw.execute("PRAGMA cache_size").fetchone()[0] == default

    def failing():
        yield from (order(str(i)) for i in range(10, 13))
        raise RuntimeError("the source broke")

    broken = Ingestor(engine, shop.id, batch_size=2)
    with pytest.raises(RuntimeError, match="the source broke"):
        broken.feed(failing())
    assert broken._conn is None and broken.stats.inserted == 2
