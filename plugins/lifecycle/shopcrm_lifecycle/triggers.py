"""Care messages along an order's life: the lifecycle plugin's triggers.

Each has a default Chinese template and delay (both changed per shop when the automation is
switched on). Order triggers follow one status; they fire only when the order moved *forward*
into it and still is in it (a late or replayed event about a state the order has left fires
nothing), and when the delay is over the order must still be in it (``still_applies``). One
message per order and trigger (dedupe key ``order:<id>``).

========================  =================================  ==========  =================
trigger                   fires on                            delay       still applies if
========================  =================================  ==========  =================
``unpaid_reminder``       a new unpaid order                  30 min      still unpaid
``unpaid_reminder_soft``  a new unpaid order                  6 h         still unpaid
``paid_thanks``           the order is paid                   0           not closed/refunded
``order_closed``          the order is closed                 10 min      still closed
``shipped``               the order is shipped                0           not signed yet
``shipping_delayed``      the order is paid                   48 h        paid, not shipped
``arrived``               ``order.arrived`` (logistics)       0           not signed yet
``signed``                the parcel is signed for            2 h         receipt not confirmed
``refund_done``           the order is refunded               0           still refunded
``birthday``              ``daily``: today is the birthday    0           always (marketing)
``repurchase``            ``daily``: N days after the last    0           no purchase since
                          purchase (option ``days``, 30)                  (marketing)
``bad_review``            ``review.created``, a bad review    0           always; to the
                                                                          shopkeeper's phone
========================  =================================  ==========  =================

``order.arrived`` is raised by a plugin that follows parcels, as an
:class:`~shopcrm.sources.OrderEvent` with ``kind="order.arrived"`` and the order's status.
"""
from __future__ import annotations

import datetime as dt
from typing import ClassVar, Iterator
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, extract, or_, select
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Customer, Order, Review, Shop
from shopcrm.registry import get_registry
from shopcrm.sources import OrderEvent, OrderStatus
from shopcrm.triggers import ReviewEvent, ScheduleEvent, Trigger, TriggerEvent, TriggerTarget

S = OrderStatus
RANK: dict[OrderStatus, int] = {S.PENDING_PAYMENT: 0, S.PAID: 1, S.SHIPPED: 2, S.SIGNED: 3, S.COMPLETED: 4,
                                S.CLOSED: 5, S.REFUNDED: 5}
"""How far along its life an order is: an event from a later status to an earlier one is stale."""


class OrderStatusTrigger(Trigger):
    """A notification about an order entering :attr:`status`."""

    status: ClassVar[OrderStatus]
    still: ClassVar[frozenset[OrderStatus]]
    """The statuses in which the message still applies when its delay is over."""

    def targets(self, session: Session, event: TriggerEvent) -> Iterator[TriggerTarget]:
        if not isinstance(event, OrderEvent) or event.status != self.status:
            return
        if event.previous_status is not None and RANK[event.previous_status] > RANK[event.status]:
            return  # an older state arriving late: the order has been further already
        order = session.get(Order, event.order_id)
        if order is not None and order.status == self.status.value:
            yield TriggerTarget(customer_id=order.customer_id, order_id=order.id)

    def still_applies(self, session: Session, target: TriggerTarget) -> bool:
        order = session.get(Order, target.order_id) if target.order_id else None
        return order is not None and order.status in {s.value for s in self.still}

    def dedupe_key(self, target: TriggerTarget) -> str:
        return f"order:{target.order_id}"


class UnpaidReminder(OrderStatusTrigger):
    name = "unpaid_reminder"
    label = _l("Unpaid order reminder")
    events = ("order.created",)
    status = S.PENDING_PAYMENT
    still = frozenset({S.PENDING_PAYMENT})
    default_delay = dt.timedelta(minutes=30)
    default_template = "亲，您在${shop}拍下的${items}还没有付款哦，库存有限，付款后我们马上为您安排发货~"


class SoftUnpaidReminder(UnpaidReminder):
    name = "unpaid_reminder_soft"
    label = _l("Second, softer unpaid order reminder")
    default_delay = dt.timedelta(hours=6)
    default_template = "亲，您的订单${order_id}还在等您付款，如果有什么疑问，回复我们或联系客服都可以哦~"


class PaidThanks(OrderStatusTrigger):
    name = "paid_thanks"
    label = _l("Thanks for paying")
    events = ("order.paid",)
    status = S.PAID
    still = frozenset({S.PAID, S.SHIPPED, S.SIGNED, S.COMPLETED})
    default_template = "亲，您在${shop}的订单${order_id}已付款成功，我们会尽快为您发货，感谢您的支持！"


class OrderClosed(OrderStatusTrigger):
    name = "order_closed"
    label = _l("Order closed: asking why")
    events = ("order.closed",)
    status = S.CLOSED
    still = frozenset({S.CLOSED})
    default_delay = dt.timedelta(minutes=10)
    default_template = "亲，看到您的订单${order_id}关闭了，是遇到什么问题了吗？回复告诉我们，我们会尽力帮您解决~"


class Shipped(OrderStatusTrigger):
    name = "shipped"
    label = _l("Order shipped")
    events = ("order.shipped",)
    status = S.SHIPPED
    still = frozenset({S.SHIPPED})
    default_template = "亲，您购买的${items}已经发货啦${shipment}，请留意物流信息，期待您收到后喜欢~"


class ShippingDelayed(OrderStatusTrigger):
    """Paid and not shipped after the delay (48 hours): an apology."""

    name = "shipping_delayed"
    label = _l("Shipping delayed: an apology")
    events = ("order.paid",)
    status = S.PAID
    still = frozenset({S.PAID})
    default_delay = dt.timedelta(hours=48)
    default_template = "亲，非常抱歉，您的订单${order_id}发货比预期慢了一些，我们正在加紧处理，请您耐心等待~"

    def still_applies(self, session: Session, target: TriggerTarget) -> bool:
        order = session.get(Order, target.order_id) if target.order_id else None
        return order is not None and order.status == S.PAID.value and order.shipped_at is None


class Arrived(Trigger):
    """The parcel reached the buyer's city: only where a data source supplies logistics events."""

    name = "arrived"
    label = _l("Parcel arrived in the buyer's city")
    events = ("order.arrived",)
    default_template = "亲，您的包裹已到达${city}，即将为您派送，请保持电话畅通~"

    def targets(self, session: Session, event: TriggerEvent) -> Iterator[TriggerTarget]:
        if not isinstance(event, OrderEvent):
            return
        order = session.get(Order, event.order_id)
        if order is not None and order.status == S.SHIPPED.value:
            yield TriggerTarget(customer_id=order.customer_id, order_id=order.id)

    def still_applies(self, session: Session, target: TriggerTarget) -> bool:
        order = session.get(Order, target.order_id) if target.order_id else None
        return order is not None and order.status == S.SHIPPED.value

    def dedupe_key(self, target: TriggerTarget) -> str:
        return f"order:{target.order_id}"


class Signed(OrderStatusTrigger):
    name = "signed"
    label = _l("Signed for: confirm receipt")
    events = ("order.signed",)
    status = S.SIGNED
    still = frozenset({S.SIGNED})
    default_delay = dt.timedelta(hours=2)
    default_template = "亲，您的包裹已签收，商品满意的话记得确认收货哦，有任何问题随时联系我们~"


class RefundDone(OrderStatusTrigger):
    name = "refund_done"
    label = _l("Refund done")
    events = ("order.refunded",)
    status = S.REFUNDED
    still = frozenset({S.REFUNDED})
    default_template = "亲，您的订单${order_id}已退款${refund_amount}元，款项将原路退回，请注意查收~"


def shop_today(session: Session, shop_id: int, moment: dt.datetime) -> tuple[dt.date, ZoneInfo]:
    """The shop's calendar day at ``moment`` (naive UTC), and its zone."""
    zone = ZoneInfo(session.scalar(select(Shop.timezone).where(Shop.id == shop_id)) or "Asia/Shanghai")
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(zone).date(), zone


class Birthday(Trigger):
    """A birthday greeting, sent on the day (shop time); with the member's tier and points when
    the membership plugin is installed. Customers born on 29 February are greeted on the 28th in
    other years."""

    name = "birthday"
    label = _l("Birthday greeting")
    events = ("daily",)
    marketing = True
    PLAIN: ClassVar[str] = "亲爱的${name}，${shop}祝您生日快乐！愿您新的一岁万事顺意，生日当月下单有专属惊喜哦~"
    MEMBER: ClassVar[str] = ("亲爱的${name}，${shop}祝您生日快乐！您是我们的${tier}，现有${points}积分，"
                             "生日当月下单有专属惊喜哦~")

    @property  # type: ignore[override]
    def default_template(self) -> str:  # the member's tier and points when membership is installed
        known = get_registry().template_variables.items
        return self.MEMBER if "tier" in known and "points" in known else self.PLAIN

    def targets(self, session: Session, event: TriggerEvent) -> Iterator[TriggerTarget]:
        if not isinstance(event, ScheduleEvent):
            return
        today, _ = shop_today(session, event.shop_id, event.occurred_at)
        days = [(today.month, today.day)]
        if (today.month, today.day) == (2, 28) and not _leap(today.year):
            days.append((2, 29))
        born_today = or_(*(and_(extract("month", Customer.birthday) == m, extract("day", Customer.birthday) == d)
                           for m, d in days))
        ids = session.scalars(select(Customer.id).where(Customer.shop_id == event.shop_id,
                                                        Customer.birthday.is_not(None), born_today)).all()
        for customer_id in ids:
            yield TriggerTarget(customer_id=customer_id, context={"year": today.year})

    def still_applies(self, session: Session, target: TriggerTarget) -> bool:
        return session.get(Customer, target.customer_id) is not None

    def dedupe_key(self, target: TriggerTarget) -> str:
        return f"birthday:{target.customer_id}:{target.context.get('year', '')}"


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class Repurchase(Trigger):
    """N days (option ``days``, default 30) after a customer's last purchase, shop time, an
    invitation to come back; not when they bought again meanwhile."""

    name = "repurchase"
    label = _l("N days after the last purchase")
    events = ("daily",)
    marketing = True
    default_options = {"days": 30}
    default_template = "亲爱的${name}，距离您上次在${shop}购物已经有一段时间啦，店里上了不少新品，欢迎回来看看~"

    def targets(self, session: Session, event: TriggerEvent) -> Iterator[TriggerTarget]:
        if not isinstance(event, ScheduleEvent):
            return
        days = int(self.options(session, event.shop_id)["days"])
        today, zone = shop_today(session, event.shop_id, event.occurred_at)
        day = today - dt.timedelta(days=days)
        start, end = (_utc(dt.datetime.combine(d, dt.time(0), tzinfo=zone)) for d in (day, day + dt.timedelta(days=1)))
        ids = session.scalars(select(Customer.id).where(Customer.shop_id == event.shop_id,
                                                        Customer.last_order_at >= start,
                                                        Customer.last_order_at < end)).all()
        for customer_id in ids:
            yield TriggerTarget(customer_id=customer_id, context={"purchase_day": day.isoformat()})

    def still_applies(self, session: Session, target: TriggerTarget) -> bool:
        customer = session.get(Customer, target.customer_id)
        if customer is None or customer.last_order_at is None:
            return False
        days = int(self.options(session, customer.shop_id)["days"])
        return customer.last_order_at <= utcnow() - dt.timedelta(days=days - 1)

    def dedupe_key(self, target: TriggerTarget) -> str:
        return f"repurchase:{target.customer_id}:{target.context.get('purchase_day', '')}"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


class BadReview(Trigger):
    """A bad review: an alert to the shopkeeper's own phone (the shop's alert phone), not the buyer."""

    name = "bad_review"
    label = _l("Bad review alert to the shopkeeper")
    events = ("review.created",)
    default_template = "差评提醒：买家${nickname}对订单${order_id}给了差评，请尽快联系处理。"

    def targets(self, session: Session, event: TriggerEvent) -> Iterator[TriggerTarget]:
        if not isinstance(event, ReviewEvent):
            return
        review = session.get(Review, event.review_id)
        if review is not None and review.is_bad:
            yield TriggerTarget(customer_id=review.customer_id, order_id=review.order_id, to_shopkeeper=True,
                                context={"review_id": review.id})

    def still_applies(self, session: Session, target: TriggerTarget) -> bool:
        return True

    def dedupe_key(self, target: TriggerTarget) -> str:
        return f"review:{target.context.get('review_id', target.order_id)}"


def lifecycle_triggers() -> list[Trigger]:
    """Every trigger of the plugin, as ``register_triggers`` returns them."""
    return [UnpaidReminder(), SoftUnpaidReminder(), PaidThanks(), OrderClosed(), Shipped(), ShippingDelayed(),
            Arrived(), Signed(), RefundDone(), Birthday(), Repurchase(), BadReview()]
