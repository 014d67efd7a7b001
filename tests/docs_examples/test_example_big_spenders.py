"""The segmenter example labels each paying customer against the average of their own province,
through the core's label runs, for the whole shop or for some customers only."""
from __future__ import annotations

from decimal import Decimal
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shopcrm import plugin_settings
from shopcrm.config import Config
from shopcrm.labels import run_all
from shopcrm.models import Customer, CustomerLabel, Shop
from shopcrm.registry import get_registry

PEOPLE = {  # nick: (province, paid orders, total paid)
    "zj_big": ("浙江省", 3, "700"), "zj_a": ("浙江省", 1, "100"), "zj_b": ("浙江省", 1, "100"),
    "gd_a": ("广东省", 1, "50"), "gd_b": ("广东省", 2, "150"),
    "nowhere_big": (None, 2, "500"), "nowhere": (None, 1, "100"),
    "zj_new": ("浙江省", 0, "0"),
}


def _labels(session: Session) -> dict[str, str]:
    session.expire_all()
    return dict(session.execute(
        select(Customer.platform_id, CustomerLabel.value)
        .join(CustomerLabel, CustomerLabel.customer_id == Customer.id)
        .where(CustomerLabel.segmenter == "big_spenders")
    ).all())


def test_big_spenders_are_measured_against_their_province(load_examples: Callable[..., None], config: Config,
                                                          session: Session) -> None:
    load_examples("big_spenders")
    assert get_registry().segmenters.by_plugin("big_spenders") == ["big_spenders"]
    shop = Shop(name="店")
    session.add(shop)
    session.flush()
    other = Shop(name="别的店")
    session.add(other)
    session.flush()
    session.add_all(Customer(shop_id=shop.id, platform_id=nick, province=province, order_count=orders,
                             total_paid=Decimal(paid)) for nick, (province, orders, paid) in PEOPLE.items())
    session.add(Customer(shop_id=other.id, platform_id="elsewhere", province="浙江省", order_count=1,
                         total_paid=Decimal("100000")))
    session.commit()

    outcome = run_all(config, shop.id, names=["big_spenders"])["big_spenders"]
    assert (outcome.status, outcome.customers) == ("finished", len(PEOPLE))
    # 浙江: average 300, so 600 makes a big spender; 广东: average 100; no province: average 300
    assert _labels(session) == {
        "zj_big": "big_spender", "zj_a": "regular", "zj_b": "regular", "gd_a": "regular", "gd_b": "regular",
        "nowhere_big": "regular", "nowhere": "regular", "zj_new": "none"}

    plugin_settings.save(session, "big_spenders", shop.id, {"factor": 1.5})
    session.commit()
    run_all(config, shop.id, names=["big_spenders"])
    assert _labels(session)["nowhere_big"] == "big_spender"  # 500 against 1.5 times 300

    session.execute(update(Customer).where(Customer.platform_id == "gd_b").values(total_paid=Decimal("400")))
    session.commit()
    gd_b = session.scalar(select(Customer.id).where(Customer.platform_id == "gd_b"))
    run_all(config, shop.id, names=["big_spenders"], customer_ids=[gd_b])
    labels = _labels(session)
    assert labels["gd_b"] == "big_spender"  # 400 against 1.5 times 广东's average of 225
    assert labels["gd_a"] == "regular" and len(labels) == len(PEOPLE)
