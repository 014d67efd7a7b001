"""Reviews: written in batches by ingestion, keyed per shop, refused for unknown orders, and a
fresh bad review alerts the shopkeeper once while imported history alerts nobody."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shopcrm.config import Config
from shopcrm.db import get_engine, session_scope, utcnow
from shopcrm.ingest import Ingestor, Refused
from shopcrm.models import Order, Review
from shopcrm.shop_alerts import set_alert_phone
from shopcrm.sources import OrderStatus, ReviewRecord, RowError
from tests.automation_support import SHOP_OFFSET, make_care_shop, messages, record, switch_on

import pytest

S = OrderStatus


def review(oid: str, rating: int, at: dt.datetime, **kw: object) -> ReviewRecord:
    """A review of order ``oid`` left at ``at`` (naive UTC, given to ingestion in shop time)."""
    return ReviewRecord(platform_order_id=oid, rating=rating, created_at=at + SHOP_OFFSET, **kw)  # type: ignore[arg-type]


def feed(config: Config, shop_id: int, *records: object, **kw: object) -> tuple[object, list[RowError]]:
    errors: list[RowError] = []
    stats = Ingestor(get_engine(config), shop_id, on_error=errors.append, **kw).feed(list(records))  # type: ignore[arg-type]
    return stats, errors


def stored(config: Config) -> list[tuple[str, int, bool, str, str]]:
    with session_scope(config) as session:
        rows = session.execute(select(Review.platform_review_id, Review.rating, Review.is_bad, Review.content,
                                      Order.platform_order_id, Review.customer_id == Order.customer_id)
                               .join(Order, Order.id == Review.order_id).order_by(Review.id)).all()
    assert all(row[5] for row in rows), "a review belongs to its order's buyer"
    return [tuple(row[:5]) for row in rows]  # type: ignore[misc]


@pytest.fixture
def shop_id(config: Config) -> int:
    shop = make_care_shop(config)
    feed(config, shop, record("A1", S.COMPLETED, nick="amy", mobile="13800000001"),
         record("B1", S.COMPLETED, nick="bob", mobile="13800000002"))
    return shop


def test_reviews_are_stored_under_their_order_and_buyer_and_the_same_file_twice_changes_nothing(
        config: Config, shop_id: int) -> None:
    at = dt.datetime(2026, 11, 1, 4, 0)
    records = [review("A1", 1, at, content="太差了"), review("B1", 5, at, platform_review_id="rv-9"),
               review("B1", 2, at, is_bad=False, platform_review_id="rv-10")]
    stats, errors = feed(config, shop_id, *records)
    assert errors == [] and (stats.inserted, stats.updated, stats.unchanged) == (3, 0, 0)  # type: ignore[attr-defined]
    assert stored(config) == [("order:A1", 1, True, "太差了", "A1"), ("rv-9", 5, False, "", "B1"),
                              ("rv-10", 2, False, "", "B1")]
    with session_scope(config) as session:
        times = set(session.scalars(select(Review.created_at)))
    assert times == {at}  # shop time in, naive UTC stored
    stats, _ = feed(config, shop_id, *records)
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 0, 3)  # type: ignore[attr-defined]


def test_an_amended_review_is_updated_not_added(config: Config, shop_id: int) -> None:
    at = dt.datetime(2026, 11, 1, 4, 0)
    feed(config, shop_id, review("A1", 1, at, content="太差了"))
    stats, _ = feed(config, shop_id, review("A1", 4, at, content="客服处理得很好，追加好评"))
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 1, 0)  # type: ignore[attr-defined]
    assert stored(config) == [("order:A1", 4, False, "客服处理得很好，追加好评", "A1")]


def test_a_review_of_an_unknown_order_is_a_bad_row_and_the_others_are_kept(config: Config, shop_id: int) -> None:
    at = dt.datetime(2026, 11, 1, 4, 0)
    stats, errors = feed(config, shop_id, review("A1", 5, at, row=2), review("Z9", 1, at, row=3))
    assert stats.inserted == 1 and stats.errors == 1  # type: ignore[attr-defined]
    [error] = errors
    assert (error.row, error.column, error.value) == (3, "order_id", "Z9")
    assert error.reason == "order Z9 is not in ShopCRM: import the orders before their reviews"
    assert [row[0] for row in stored(config)] == ["order:A1"]


def test_an_all_or_nothing_ingestion_writes_no_review_when_one_is_refused(config: Config, shop_id: int) -> None:
    at = dt.datetime(2026, 11, 1, 4, 0)
    errors: list[RowError] = []
    ingestor = Ingestor(get_engine(config), shop_id, on_error=errors.append, all_or_nothing=True)
    ingestor.add(review("A1", 5, at))
    ingestor.add(review("Z9", 1, at))
    with pytest.raises(Refused):
        ingestor.close()
    assert [e.value for e in errors] == ["Z9"]
    assert stored(config) == []


def test_a_fresh_bad_review_alerts_the_shopkeeper_once_and_history_alerts_nobody(
        config: Config, shop_id: int) -> None:
    now = utcnow()
    switch_on(config, shop_id, "bad_review", at=now - dt.timedelta(days=1))
    with session_scope(config) as session:
        set_alert_phone(session, shop_id, "13900001111")
    feed(config, shop_id, review("B1", 1, now - dt.timedelta(days=30)))  # last month's, imported today
    assert messages(config, "bad_review") == []
    fresh = review("A1", 1, now - dt.timedelta(minutes=5), content="破了")
    stats, _ = feed(config, shop_id, fresh, review("A1", 1, now - dt.timedelta(minutes=5), platform_review_id="good",
                                                    is_bad=False))
    assert stats.events == 2  # type: ignore[attr-defined]
    [alert] = messages(config, "bad_review")
    assert alert.to == "13900001111"
    assert "amy" in alert.text and "差评" in alert.text
    feed(config, shop_id, fresh)  # the same review again
    feed(config, shop_id, review("A1", 2, now - dt.timedelta(minutes=5), content="破了，补发也慢"))  # amended
    assert len(messages(config, "bad_review")) == 1
