"""The funnel's figures: customers per stage, and who moved between two full runs."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from shopcrm.config import Config
from shopcrm.db import utcnow
from shopcrm.labels import run_all
from shopcrm.models import Customer, Shop
from shopcrm_lifecycle.funnel import Move, bar_width, movement, stages
from shopcrm_lifecycle.stages import STAGES

# nick -> (days since the first paid order, days since the last), None for no order yet
BUYERS: dict[str, tuple[int, int] | None] = {
    "p1": None, "p2": None,
    "n1": (10, 10),
    "a1": (200, 10), "a2": (200, 5), "a3": (150, 20),
    "s1": (300, 60),
    "l1": (400, 200),
}
EXPECTED = {"p1": "潜在", "p2": "潜在", "n1": "新客", "a1": "活跃", "a2": "活跃", "a3": "活跃", "s1": "沉睡",
            "l1": "流失"}


def add_buyers(session: Session, shop: Shop, buyers: dict[str, tuple[int, int] | None]) -> None:
    now = utcnow()
    for nick, days in buyers.items():
        first, last = (None, None) if days is None else (now - dt.timedelta(days=days[0]),
                                                         now - dt.timedelta(days=days[1]))
        session.add(Customer(shop_id=shop.id, identity=nick, platform_id=nick, first_order_at=first,
                             last_order_at=last, order_count=0 if days is None else 2))
    session.commit()


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = Shop(name="漏斗店")
    session.add(shop)
    session.flush()
    add_buyers(session, shop, BUYERS)
    return shop


def test_every_stage_is_counted_in_funnel_order(config: Config, session: Session, shop: Shop) -> None:
    run_all(config, shop.id, ["lifecycle"])
    expected = Counter(EXPECTED.values())
    found = stages(session, shop.id)
    assert [stage.value for stage in found] == [value for value, _ in STAGES]
    for stage in found:
        assert stage.customers == expected[stage.value], stage.value
        assert stage.share == pytest.approx(expected[stage.value] / len(BUYERS))
        assert stage.width == bar_width(expected[stage.value], max(expected.values()))
    assert found[2].width == 100


def test_no_movement_before_the_second_full_run(config: Config, session: Session, shop: Shop) -> None:
    assert movement(session, shop.id) is None
    run_all(config, shop.id, ["lifecycle"])
    assert movement(session, shop.id) is None


def test_the_movement_between_two_full_runs(config: Config, session: Session, shop: Shop) -> None:
    run_all(config, shop.id, ["lifecycle"])
    session.execute(update(Customer).where(Customer.platform_id.in_(["a1", "a2"]))
                    .values(last_order_at=utcnow() - dt.timedelta(days=60)))
    session.execute(update(Customer).where(Customer.platform_id == "s1")
                    .values(last_order_at=utcnow() - dt.timedelta(days=120)))
    session.commit()
    add_buyers(session, shop, {"p3": None})
    run_all(config, shop.id, ["lifecycle"])
    moved = movement(session, shop.id)
    assert moved is not None
    assert moved.moves == [Move("活跃", "沉睡", 2), Move(None, "潜在", 1), Move("沉睡", "流失", 1)]


@pytest.mark.parametrize(("count", "largest", "width"), [(0, 10, 0), (1, 1000, 5), (10, 10, 100), (7, 10, 70),
                                                         (71, 100, 75)])
def test_bar_widths(count: int, largest: int, width: int) -> None:
    assert bar_width(count, largest) == width
