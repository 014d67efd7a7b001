"""A trigger: thank the buyer a few days after they signed for an order.

Switched on for a shop as an automation, it writes one message per order when the order is
signed for, due ``default_delay`` later (the operator may change the delay); a refund in the
meantime drops it.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterator

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from shopcrm import hookimpl
from shopcrm.models import Order
from shopcrm.sources import OrderEvent, OrderStatus
from shopcrm.triggers import Trigger, TriggerEvent, TriggerTarget


class ThankYou(Trigger):
    name = "thank_you"
    label = _l("Thank buyers three days after they sign for an order")
    events = ("order.signed",)
    default_delay = dt.timedelta(days=3)
    default_template = "亲，您在${shop}买的${items}用得还好吗？感谢支持，有任何问题随时联系我们哦"

    def targets(self, session: Session, event: TriggerEvent) -> Iterator[TriggerTarget]:
        if isinstance(event, OrderEvent) and event.status == OrderStatus.SIGNED:
            yield TriggerTarget(customer_id=event.customer_id, order_id=event.order_id)

    def still_applies(self, session: Session, target: TriggerTarget) -> bool:
        order = session.get(Order, target.order_id)
        return order is not None and order.status in (OrderStatus.SIGNED, OrderStatus.COMPLETED)

    def dedupe_key(self, target: TriggerTarget) -> str:
        return f"order:{target.order_id}"


@hookimpl
def register_triggers() -> list[Trigger]:
    return [ThankYou()]
