"""Default plugin: template variables every shop has: shop, customer name, nick and city, and for a
message about an order its id, items, amount, refund, courier and waybill number."""
from __future__ import annotations

import abc
from typing import Iterable, Mapping, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopcrm import hookimpl
from shopcrm.models import Customer, Order, OrderItem, Shop
from shopcrm.sql import in_ids
from shopcrm.variables import RenderContext, TemplateVariable


def _customer(ctx: RenderContext) -> Customer | None:
    return ctx.session.get(Customer, ctx.customer_id) if ctx.customer_id else None


def _order(ctx: RenderContext) -> Order | None:
    return ctx.session.get(Order, ctx.order_id) if ctx.order_id else None


class _OrderVariable(TemplateVariable):
    """A variable read off the message's order: empty when the message is about none."""

    def value(self, ctx: RenderContext) -> str:
        order = _order(ctx)
        return self.of(order) if order is not None else ""

    @abc.abstractmethod
    def of(self, order: Order) -> str:
        """The text for ``order``."""


def _names(ctx: RenderContext, customer_ids: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
    """``{customer id: (name, nick)}`` of many customers in one query."""
    dialect = ctx.session.get_bind().dialect.name
    rows = ctx.session.execute(select(Customer.id, Customer.name, Customer.platform_id)
                               .where(in_ids(Customer.id, customer_ids, dialect)))
    return {customer_id: (name, nick) for customer_id, name, nick in rows}


class ShopName(TemplateVariable):
    name = "shop"
    label = _l("Shop name")
    example = "小店旗舰店"

    def value(self, ctx: RenderContext) -> str:
        shop = ctx.session.get(Shop, ctx.shop_id)
        return shop.name if shop else ""

    def values(self, ctx: RenderContext, customer_ids: Sequence[int]) -> Mapping[int, str]:
        name = self.value(ctx)
        return {customer_id: name for customer_id in customer_ids}


class CustomerName(TemplateVariable):
    name = "name"
    label = _l("Customer name (falls back to the nick)")
    example = "张伟"

    def value(self, ctx: RenderContext) -> str:
        customer = _customer(ctx)
        if customer is None:
            return ""
        return customer.name or customer.platform_id or ""

    def values(self, ctx: RenderContext, customer_ids: Sequence[int]) -> Mapping[int, str]:
        found = _names(ctx, customer_ids)
        return {i: (found[i][0] or found[i][1] or "") if i in found else "" for i in customer_ids}


class Nickname(TemplateVariable):
    name = "nickname"
    label = _l("Buyer nick on the platform")
    example = "tb_zhangwei88"

    def value(self, ctx: RenderContext) -> str:
        customer = _customer(ctx)
        return (customer.platform_id or customer.name or "") if customer else ""

    def values(self, ctx: RenderContext, customer_ids: Sequence[int]) -> Mapping[int, str]:
        found = _names(ctx, customer_ids)
        return {i: (found[i][1] or found[i][0] or "") if i in found else "" for i in customer_ids}


class OrderId(_OrderVariable):
    name = "order_id"
    label = _l("Platform order id")
    example = "3712893019283746"

    def of(self, order: Order) -> str:
        return order.platform_order_id


ITEMS_LENGTH = 20
"""Characters of item titles ``${items}`` gives at most, so that care messages stay one SMS."""


class Items(TemplateVariable):
    name = "items"
    label = _l("What the order is (its first item, and how many in all)")
    example = "加绒连帽卫衣等3件"

    def value(self, ctx: RenderContext) -> str:
        if ctx.order_id is None:
            return ""
        rows = ctx.session.execute(select(OrderItem.title, OrderItem.quantity).where(OrderItem.order_id == ctx.order_id)
                                   .order_by(OrderItem.id)).all()
        if not rows:
            return ""
        title = rows[0][0] if len(rows[0][0]) <= ITEMS_LENGTH else rows[0][0][:ITEMS_LENGTH - 1] + "…"
        count = sum(max(1, quantity or 1) for _, quantity in rows)
        return title if count == 1 else f"{title}等{count}件"


class Amount(_OrderVariable):
    name = "amount"
    label = _l("Order amount in yuan (paid, else the total)")
    example = "128.00"

    def of(self, order: Order) -> str:
        return f"{order.paid_amount or order.total_amount:.2f}"


class RefundAmount(_OrderVariable):
    name = "refund_amount"
    label = _l("Amount refunded on the order, in yuan")
    example = "128.00"

    def of(self, order: Order) -> str:
        return f"{order.refund_amount or order.paid_amount:.2f}"


class City(TemplateVariable):
    name = "city"
    label = _l("Customer's city")
    example = "杭州市"

    def value(self, ctx: RenderContext) -> str:
        customer = _customer(ctx)
        return (customer.city or customer.province or "") if customer else ""


class Carrier(_OrderVariable):
    name = "carrier"
    label = _l("Courier the order was shipped with")
    example = "中通快递"

    def of(self, order: Order) -> str:
        return order.carrier or ""


class TrackingNumber(_OrderVariable):
    name = "tracking_number"
    label = _l("The parcel's waybill number")
    example = "73512345678901"

    def of(self, order: Order) -> str:
        return order.tracking_number or ""


class Shipment(_OrderVariable):
    """The parcel in a few words, written to follow 已经发货啦 and to vanish when nothing is known,
    so that one shipped notice reads well whether or not the source gives the courier."""

    name = "shipment"
    label = _l("The parcel's courier and waybill number in brackets, or nothing when unknown")
    example = "（中通快递 73512345678901）"

    def of(self, order: Order) -> str:
        known = " ".join(part for part in (order.carrier, order.tracking_number) if part)
        return f"（{known}）" if known else ""


@hookimpl
def register_template_variables() -> Iterable[TemplateVariable]:
    return [ShopName(), CustomerName(), Nickname(), City(), OrderId(), Items(), Amount(), RefundAmount(),
            Carrier(), TrackingNumber(), Shipment()]
