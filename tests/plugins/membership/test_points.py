"""Points: earned once per paid order whatever is replayed, taken back on refunds, expired by
the job, adjusted with a reason, and never redeemed below zero."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from membership_support import NOW, ago, customer_id, order_id
from shopcrm.accounts import create_user
from shopcrm.models import Customer, Order
from shopcrm_membership import points
from shopcrm_membership.models import PointsEntry
from shopcrm_membership.rules import check_rules, save_rules


def entries(session, nick: str) -> list[tuple[str, int]]:
    session.commit()  # end any read transaction, to see what other connections wrote
    return [(e.kind, e.points) for e in session.scalars(
        select(PointsEntry).where(PointsEntry.customer_id == customer_id(session, nick)).order_by(PointsEntry.id))]


def test_a_paid_order_earns_a_point_per_whole_yuan(session, feed):
    feed("t1", "amy", "paid", "123.99")
    assert entries(session, "amy") == [("earn", 123)]
    assert points.balance(session, customer_id(session, "amy")) == 123


def test_earning_is_idempotent_under_replay_and_reimport(session, shop, feed):
    feed("t1", "amy", "paid", "88")
    feed("t1", "amy", "paid", "88")  # the same import again
    feed("t1", "amy", "shipped", "88")  # the order moves on
    feed("t1", "amy", "completed", "88")
    rules = check_rules({})
    points.earn_for_orders(session, shop.id, rules)  # the review's catch-up, twice
    points.earn_for_orders(session, shop.id, rules, order_ids=[order_id(session, "t1")])
    session.commit()
    assert entries(session, "amy") == [("earn", 88)]


def test_an_order_paid_later_earns_when_paid(session, feed):
    feed("t1", "amy", "pending_payment", "50")
    assert entries(session, "amy") == []
    feed("t1", "amy", "paid", "50")
    assert entries(session, "amy") == [("earn", 50)]


def test_the_shops_rate_applies(session, shop, feed):
    save_rules(session, shop.id, check_rules({"points_per_yuan": 3}))
    session.commit()
    feed("t1", "amy", "paid", "10.50")
    assert entries(session, "amy") == [("earn", 31)]


def test_earned_points_lapse_after_the_shops_months(session, feed):
    feed("t1", "amy", "paid", "10", paid_at=dt.datetime(2026, 1, 31, 8, 0))
    expires = session.scalar(select(PointsEntry.expires_at))
    assert expires.date() == dt.date(2027, 1, 31)


def test_a_refund_takes_the_points_back_once(session, feed):
    feed("t1", "amy", "paid", "200")
    feed("t2", "amy", "paid", "50")
    feed("t1", "amy", "refunded", "200", refund="200")
    feed("t1", "amy", "refunded", "200", refund="200")  # replayed
    assert entries(session, "amy") == [("earn", 200), ("earn", 50), ("reverse", -200)]
    assert points.balance(session, customer_id(session, "amy")) == 50


def test_a_refund_takes_back_only_what_is_left(session, shop, feed):
    feed("t1", "amy", "paid", "100")
    amy = session.get(Customer, customer_id(session, "amy"))
    points.redeem(session, amy, 80, "兑换优惠券", check_rules({}))
    session.commit()
    feed("t1", "amy", "closed", "100", refund="100")
    assert entries(session, "amy") == [("earn", 100), ("redeem", -80), ("reverse", -20)]
    assert points.balance(session, amy.id) == 0


def test_several_refunds_at_once_share_the_balance(session, shop, feed):
    feed("t1", "amy", "paid", "100")
    feed("t2", "amy", "paid", "100")
    amy = session.get(Customer, customer_id(session, "amy"))
    points.redeem(session, amy, 150, "兑换", check_rules({}))
    session.commit()
    # Both refunded without events (a direct database change): the review catches up set-based.
    session.execute(Order.__table__.update().where(Order.shop_id == shop.id).values(status="refunded"))
    points.reverse_for_orders(session, shop.id)
    session.commit()
    assert entries(session, "amy") == [("earn", 100), ("earn", 100), ("redeem", -150),
                                       ("reverse", -50), ("reverse", 0)]
    assert points.balance(session, amy.id) == 0


def test_expiry_writes_a_ledger_entry_for_lapsed_points_once(session, shop, feed):
    feed("old", "amy", "paid", "100", paid_at=ago(400))
    feed("new", "amy", "paid", "30", paid_at=ago(10))
    feed("fresh", "bob", "paid", "70", paid_at=ago(10))
    assert points.expire_points(session, shop.id, now=NOW) == 1
    assert points.expire_points(session, shop.id, now=NOW) == 0
    session.commit()
    assert entries(session, "amy") == [("earn", 100), ("earn", 30), ("expire", -100)]
    assert entries(session, "bob") == [("earn", 70)]


def test_spent_points_are_not_expired_again(session, shop, feed):
    feed("old", "amy", "paid", "100", paid_at=ago(400))
    feed("new", "amy", "paid", "30", paid_at=ago(10))
    amy = session.get(Customer, customer_id(session, "amy"))
    points.redeem(session, amy, 60, "兑换礼品", check_rules({}), now=ago(300))
    session.commit()
    points.expire_points(session, shop.id, now=NOW)
    session.commit()
    assert entries(session, "amy")[-1] == ("expire", -40)
    assert points.balance(session, amy.id) == 30
    # A year on, the newer order's points lapse as well; the balance ends at zero.
    points.expire_points(session, shop.id, now=NOW + dt.timedelta(days=400))
    session.commit()
    assert points.balance(session, amy.id) == 0


def test_points_never_expire_when_the_shop_says_so(session, shop, feed):
    save_rules(session, shop.id, check_rules({"points_expiry_months": 0}))
    session.commit()
    feed("old", "amy", "paid", "100", paid_at=ago(4000))
    assert points.expire_points(session, shop.id, now=NOW) == 0


def test_redemption_below_zero_is_refused(session, feed):
    feed("t1", "amy", "paid", "50")
    amy = session.get(Customer, customer_id(session, "amy"))
    with pytest.raises(points.PointsError, match="Not enough points"):
        points.redeem(session, amy, 51, "兑换", check_rules({}))
    with pytest.raises(points.PointsError, match="greater than 0"):
        points.redeem(session, amy, 0, "兑换", check_rules({}))
    points.redeem(session, amy, 50, "兑换", check_rules({}))
    session.commit()
    assert points.balance(session, amy.id) == 0


def test_adjustments_need_a_reason_and_record_who_and_when(session, feed):
    feed("t1", "amy", "paid", "10")
    amy = session.get(Customer, customer_id(session, "amy"))
    user = create_user(session, "ops", "correct-horse-1", role="operator")
    for reason in ("", "   "):
        with pytest.raises(points.PointsError) as caught:
            points.adjust(session, amy, points.Change(5, reason), check_rules({}), user)
        assert caught.value.field == "reason"
    with pytest.raises(points.PointsError, match="Not enough points"):
        points.adjust(session, amy, points.Change(-11, "扣减"), check_rules({}), user)
    entry = points.adjust(session, amy, points.Change(20, " 客诉补偿 "), check_rules({}), user, now=NOW)
    session.commit()
    assert (entry.reason, entry.created_by, entry.created_by_name, entry.created_at) == ("客诉补偿", user.id, "ops", NOW)
    assert entry.expires_at == dt.datetime(2027, 11, 22, 12, 0)
    assert points.balance(session, amy.id) == 30
    assert session.scalar(select(func.count()).select_from(PointsEntry)) == 2
