"""The customers of one grid cell or one class, a page at a time."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from shopcrm.models import Customer, CustomerLabel, Shop
from shopcrm_rfm.members import Selection, members


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = Shop(name="名单店")
    session.add(shop)
    session.flush()
    for i in range(7):
        customer = Customer(shop_id=shop.id, identity=f"c{i}", platform_id=f"c{i}")
        session.add(customer)
        session.flush()
        rs, fs = (5, 5) if i % 2 == 0 else (1, 2)
        session.add(CustomerLabel(shop_id=shop.id, customer_id=customer.id, segmenter="rfm",
                                  value="重要价值客户" if i < 3 else "一般挽留客户",
                                  scores={"r": i, "f": 1, "m": 10.0, "r_score": rs, "f_score": fs}))
    session.commit()
    return shop


def test_a_cells_customers_come_a_page_at_a_time(session: Session, shop: Shop) -> None:
    cell = Selection(r_score=5, f_score=5)
    first = members(session, shop.id, cell, limit=3)
    assert [m.customer.platform_id for m in first.rows] == ["c0", "c2", "c4"]
    second = members(session, shop.id, cell, after=first.next_after, limit=3)
    assert [m.customer.platform_id for m in second.rows] == ["c6"]
    assert second.next_after is None


def test_a_class_lists_its_customers(session: Session, shop: Shop) -> None:
    page = members(session, shop.id, Selection(value="重要价值客户"))
    assert [m.customer.platform_id for m in page.rows] == ["c0", "c1", "c2"]
    assert page.rows[0].scores["r_score"] == 5


@pytest.mark.parametrize(("args", "selection"), [
    ({"value": " 重要价值客户 "}, Selection(value="重要价值客户")),
    ({"r": "3", "f": "5"}, Selection(r_score=3, f_score=5)),
    ({"r": "6", "f": "5"}, None),
    ({"r": "x", "f": "5"}, None),
    ({}, None),
])
def test_the_selection_is_read_from_the_query_string(args: dict[str, str], selection: Selection | None) -> None:
    assert Selection.from_args(MultiDict(args)) == selection
