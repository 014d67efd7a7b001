"""The trigger example, switched on as an automation: a signed order is thanked once, three days
later, through the outbox and a channel; an order refunded meanwhile is not."""
from __future__ import annotations

import datetime as dt
from typing import Callable

from shopcrm import outbox
from shopcrm.automations import fire
from shopcrm.config import Config
from shopcrm.registry import get_registry
from shopcrm.sources import OrderStatus as S
from automation_support import T0, event, ingest, make_care_shop, messages, record, switch_on

DAYS_3 = dt.timedelta(days=3)
MINUTE = dt.timedelta(minutes=1)
SIGNED = {"paid_at": T0 - dt.timedelta(days=4), "shipped_at": T0 - dt.timedelta(days=3), "signed_at": T0}


def test_a_signed_order_is_thanked_once_three_days_later(load_examples: Callable[..., None], config: Config) -> None:
    load_examples("thank_you")
    assert get_registry().triggers.by_plugin("thank_you") == ["thank_you"]
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "thank_you")
    ingest(config, shop_id, record("A1", S.SIGNED, created=T0 - dt.timedelta(days=5), **SIGNED))
    for _replayed in range(2):
        fire(config, event(config, "A1", "order.signed", S.SHIPPED, T0), now=T0)
    fire(config, event(config, "A1", "order.shipped", S.PAID, T0, status=S.SHIPPED), now=T0)
    [message] = messages(config, "thank_you")
    assert (message.status, message.send_after) == ("pending", T0 + DAYS_3)
    assert message.text == "【小店】亲，您在关怀店买的连衣裙用得还好吗？感谢支持，有任何问题随时联系我们哦"

    assert outbox.send_due(config, now=T0 + DAYS_3 - MINUTE).sent == 0  # not before it is due
    assert outbox.send_due(config, now=T0 + DAYS_3 + MINUTE).sent == 1
    fire(config, event(config, "A1", "order.signed", S.SHIPPED, T0), now=T0 + DAYS_3)
    assert outbox.send_due(config, now=T0 + DAYS_3 + 2 * MINUTE).sent == 0
    assert [m.status for m in messages(config, "thank_you")] == ["sent"]


def test_an_order_refunded_before_the_thanks_is_due_is_not_thanked(load_examples: Callable[..., None],
                                                                    config: Config) -> None:
    load_examples("thank_you")
    shop_id = make_care_shop(config)
    switch_on(config, shop_id, "thank_you")
    ingest(config, shop_id, record("A1", S.SIGNED, created=T0 - dt.timedelta(days=5), **SIGNED))
    fire(config, event(config, "A1", "order.signed", S.SHIPPED, T0), now=T0)
    ingest(config, shop_id, record("A1", S.REFUNDED, created=T0 - dt.timedelta(days=5),
                                   **SIGNED, closed_at=T0 + dt.timedelta(days=1)))
    outcome = outbox.send_due(config, now=T0 + DAYS_3 + MINUTE)
    assert (outcome.sent, outcome.skipped) == (0, 1)
    assert messages(config, "thank_you")[0].skip_reason == "no_longer_applies"
