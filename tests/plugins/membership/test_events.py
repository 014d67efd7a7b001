"""Order events raise a tier at once; the review lowers tiers only when the shop enables it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from membership_support import customer_id, order_id
from shopcrm.db import utcnow
from shopcrm.models import CustomerLabel
from shopcrm.sources import OrderEvent, OrderStatus
from shopcrm_membership.events import is_relevant
from shopcrm_membership.review import review_shop
from shopcrm_membership.rules import check_rules, save_rules


def tier(session, nick: str) -> str | None:
    session.commit()  # end any read transaction, to see what the event handlers wrote
    return session.scalar(select(CustomerLabel.value).where(
        CustomerLabel.customer_id == customer_id(session, nick), CustomerLabel.segmenter == "tier"))


def test_a_paid_order_raises_the_tier_at_once(session, feed):
    feed("t1", "amy", "pending_payment", "600")
    assert tier(session, "amy") is None
    feed("t1", "amy", "paid", "600")
    assert tier(session, "amy") == "铜牌会员"
    feed("t2", "amy", "completed", "1400")
    assert tier(session, "amy") == "银牌会员"


def test_a_refund_does_not_lower_the_tier_by_itself(session, feed):
    feed("t1", "amy", "paid", "2500")
    feed("t1", "amy", "refunded", "2500", refund="2500")
    assert tier(session, "amy") == "银牌会员"


def test_the_review_lowers_tiers_only_when_enabled(session, shop, feed):
    feed("t1", "amy", "paid", "2500", paid_at=utcnow() - dt.timedelta(days=10))
    feed("t2", "bob", "paid", "600", paid_at=utcnow() - dt.timedelta(days=10))
    feed("t1", "amy", "refunded", "2500", refund="2500")
    later = utcnow() + dt.timedelta(days=400)
    review_shop(session, shop.id, now=later)
    session.commit()
    assert (tier(session, "amy"), tier(session, "bob")) == ("银牌会员", "铜牌会员")
    save_rules(session, shop.id, check_rules({"downgrade_enabled": True}))
    session.commit()
    result = review_shop(session, shop.id, now=later)
    session.commit()
    assert result["downgrades"] is True
    assert (tier(session, "amy"), tier(session, "bob")) == ("普通会员", "普通会员")


def test_the_review_labels_customers_without_events(session, shop, feed):
    from shopcrm.models import Customer

    session.add(Customer(shop_id=shop.id, platform_id="quiet"))
    session.commit()
    assert review_shop(session, shop.id)["customers"] == 1
    session.commit()
    assert tier(session, "quiet") == "普通会员"


def event(status: str, previous: str | None) -> OrderEvent:
    return OrderEvent(kind=f"order.{status}", shop_id=1, order_id=1, customer_id=1,
                      status=OrderStatus(status), previous_status=OrderStatus(previous) if previous else None,
                      occurred_at=utcnow())


def test_only_events_that_can_change_points_or_tiers_do_work():
    assert is_relevant(event("paid", None)) and is_relevant(event("paid", "pending_payment"))
    assert is_relevant(event("refunded", "shipped")) and is_relevant(event("closed", "paid"))
    assert not is_relevant(event("shipped", "paid"))  # already counted when paid
    assert not is_relevant(event("pending_payment", None))
    assert not is_relevant(event("closed", "pending_payment"))


def test_history_is_left_to_the_tier_run_after_the_import():
    old = OrderEvent(kind="order.paid", shop_id=1, order_id=1, customer_id=1, status=OrderStatus.PAID,
                     previous_status=None, occurred_at=utcnow() - dt.timedelta(days=3))
    assert not is_relevant(old)


def test_an_imported_year_of_orders_earns_points_and_tiers_in_the_run_after_the_import(
        session, shop, config, tmp_path):
    from click.testing import CliRunner

    from shopcrm.cli import build_cli
    from shopcrm_membership.points import balance

    path = tmp_path / "history.csv"
    path.write_text(
        "order_id,customer_id,status,paid_amount,refund_amount,created_at,paid_at\n"
        "H1,amy,completed,2500.00,0,2026-03-01 10:00:00,2026-03-01 10:01:00\n"
        "H2,amy,completed,300.40,0,2026-05-01 10:00:00,2026-05-01 10:01:00\n"
        "H3,bob,refunded,600.00,600.00,2026-06-01 10:00:00,2026-06-01 10:01:00\n",
        encoding="utf-8")
    result = CliRunner().invoke(build_cli(), ["import", "orders", str(path), "--preset", "generic",
                                              "--shop", shop.name, "--json"])
    assert result.exit_code == 0, result.output
    session.commit()
    # No event was fresh, so none was handled one by one: the tier run after the import did it.
    assert balance(session, customer_id(session, "amy")) == 2800
    assert balance(session, customer_id(session, "bob")) == 0
    assert tier(session, "amy") == "银牌会员"
    assert tier(session, "bob") == "普通会员"


def test_a_batch_s_events_are_handled_together_as_each_would_be_alone(session, shop, engine):
    from decimal import Decimal

    from sqlalchemy import event as sa_event

    from shopcrm.ingest import Ingestor
    from shopcrm.sources import CustomerRecord, OrderRecord
    from shopcrm_membership.models import PointsEntry

    when = utcnow() - dt.timedelta(hours=2)

    def order(oid: str, nick: str, status: str, paid: str) -> OrderRecord:
        return OrderRecord(platform_order_id=oid, status=OrderStatus(status), customer=CustomerRecord(platform_id=nick),
                           total_amount=Decimal(paid), paid_amount=Decimal(paid), created_at=when, paid_at=when)

    writes: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO MEMBERSHIP_POINTS"):
            writes.append(statement)

    sa_event.listen(engine, "before_cursor_execute", note)
    try:
        Ingestor(engine, shop.id).feed([order("t1", "amy", "paid", "600")])
        alone = len(writes)
        writes.clear()
        Ingestor(engine, shop.id).feed([order("t2", "amy", "paid", "1400"), order("t3", "bob", "paid", "600"),
                                        order("t4", "cat", "completed", "2500")])
    finally:
        sa_event.remove(engine, "before_cursor_execute", note)
    assert alone > 0 and len(writes) == alone  # the same statements for three events as for one
    assert (tier(session, "amy"), tier(session, "bob"), tier(session, "cat")) == ("银牌会员", "铜牌会员", "银牌会员")
    earned = session.scalars(select(PointsEntry.order_id).where(PointsEntry.kind == "earn")).all()
    assert sorted(earned) == sorted(order_id(session, oid) for oid in ("t1", "t2", "t3", "t4"))
