"""``${tier}`` and ``${points}`` give the customer's tier and points balance."""
from __future__ import annotations

from membership_support import customer_id
from shopcrm.registry import get_registry
from shopcrm.variables import RenderContext


def test_tier_and_points_render(session, shop, feed):
    feed("t1", "amy", "paid", "5200.80")
    session.commit()
    variables = get_registry().template_variables
    ctx = RenderContext(session=session, shop_id=shop.id, customer_id=customer_id(session, "amy"))
    assert variables["tier"].value(ctx) == "金牌会员"
    assert variables["points"].value(ctx) == "5200"
    nobody = RenderContext(session=session, shop_id=shop.id)
    assert variables["tier"].value(nobody) == "" and variables["points"].value(nobody) == ""


def test_a_customer_without_points_has_zero(session, shop, feed):
    feed("t1", "bob", "pending_payment", "10")
    session.commit()
    ctx = RenderContext(session=session, shop_id=shop.id, customer_id=customer_id(session, "bob"))
    variables = get_registry().template_variables
    assert variables["points"].value(ctx) == "0" and variables["tier"].value(ctx) == ""
    assert variables["tier"].example and variables["points"].example
