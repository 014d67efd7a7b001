"""Life stages from first and last paid orders, with operator thresholds."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from shopcrm.models import Customer, CustomerLabel, Shop
from shopcrm.registry import get_registry
from shopcrm_lifecycle.stages import ConfigError, LifecycleSegmenter, check_config

NOW = dt.datetime(2026, 11, 22, 12, 0)


def days(n):
    return NOW - dt.timedelta(days=n)


PEOPLE = {  # nick: (first paid order, last paid order)
    "prospect": (None, None),
    "newbie": (days(10), days(10)),
    "regular": (days(300), days(20)),
    "regular45": (days(300), days(45)),
    "sleeper": (days(300), days(80)),
    "gone": (days(600), days(200)),
}


@pytest.fixture
def shop(session):
    shop = Shop(name="生命周期店")
    session.add(shop)
    session.flush()
    for nick in PEOPLE:
        session.add(Customer(shop_id=shop.id, platform_id=nick))
    session.commit()
    for nick, (first, last) in PEOPLE.items():
        session.execute(update(Customer).where(Customer.platform_id == nick)
                        .values(first_order_at=first, last_order_at=last))
    session.commit()
    return shop


def stages(session, shop):
    return dict(session.execute(select(Customer.platform_id, CustomerLabel.value)
                                .join(CustomerLabel, CustomerLabel.customer_id == Customer.id)
                                .where(CustomerLabel.segmenter == "lifecycle")).all())


def test_default_thresholds(session, shop):
    assert LifecycleSegmenter().compute(session, shop.id, {}, now=NOW) == 6
    assert stages(session, shop) == {"prospect": "潜在", "newbie": "新客", "regular": "活跃",
                                     "regular45": "沉睡", "sleeper": "沉睡", "gone": "流失"}


def test_a_longer_active_window(session, shop):
    LifecycleSegmenter().compute(session, shop.id, {"active_days": 50}, now=NOW)
    assert stages(session, shop)["regular45"] == "活跃"


def test_only_the_given_customers_are_relabelled(session, shop):
    segmenter = LifecycleSegmenter()
    segmenter.compute(session, shop.id, {}, now=NOW)
    newbie = session.scalar(select(Customer.id).where(Customer.platform_id == "newbie"))
    assert segmenter.compute(session, shop.id, {}, customer_ids=[newbie], now=NOW + dt.timedelta(days=40)) == 1
    got = stages(session, shop)
    assert got["newbie"] == "沉睡" and got["regular"] == "活跃"


@pytest.mark.parametrize(("config", "message"), [({"new_days": 0}, "new_days"),
                                                 ({"active_days": 100, "sleep_days": 90}, "longer than")])
def test_bad_thresholds(config, message):
    with pytest.raises(ConfigError, match=message):
        check_config(config)


def test_registered(config):
    assert [info.value for info in get_registry().segmenters["lifecycle"].labels()] == ["潜在", "新客", "活跃", "沉睡", "流失"]


def test_two_runs_at_once_each_leave_one_label_per_customer(config, engine, session, shop):
    """An import's run and the API's may overlap: the second waits for the first and updates its
    labels instead of failing on the unique key."""
    import threading

    from shopcrm.db import session_factory

    segmenter = LifecycleSegmenter()
    cfg = segmenter.load_config(session, shop.id)
    first = session_factory(engine, write=True)()
    segmenter.compute(first, shop.id, cfg, now=NOW)  # not committed yet
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with session_factory(engine, write=True)() as other:
                segmenter.compute(other, shop.id, cfg, now=NOW + dt.timedelta(days=30))
                other.commit()
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=1)  # it waits for the first run's transaction
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert not thread.is_alive() and errors == []
    session.rollback()  # read what both runs committed
    labels = stages(session, shop)
    assert set(labels) == set(PEOPLE)
    assert labels["regular"] == "沉睡"  # 50 days after the last order by the second run's clock
