"""Default plugin: template variables every shop has (shop, customer name, nick, order id)."""
from __future__ import annotations

from typing import Iterable

from flask_babel import lazy_gettext as _l

from shopcrm import hookimpl
from shopcrm.models import Customer, Order, Shop
from shopcrm.variables import RenderContext, TemplateVariable


class ShopName(TemplateVariable):
    name = "shop"
    label = _l("Shop name")
    example = "小店旗舰店"

    def value(self, ctx: RenderContext) -> str:
        shop = ctx.session.get(Shop, ctx.shop_id)
        return shop.name if shop else ""


class CustomerName(TemplateVariable):
    name = "name"
    label = _l("Customer name (falls back to the nick)")
    example = "张伟"

    def value(self, ctx: RenderContext) -> str:
        customer = ctx.session.get(Customer, ctx.customer_id) if ctx.customer_id else None
        if customer is None:
            return ""
        return customer.name or customer.platform_id or ""


class Nickname(TemplateVariable):
    name = "nickname"
    label = _l("Buyer nick on the platform")
    example = "tb_zhangwei88"

    def value(self, ctx: RenderContext) -> str:
        customer = ctx.session.get(Customer, ctx.customer_id) if ctx.customer_id else None
        return (customer.platform_id or customer.name or "") if customer else ""


class OrderId(TemplateVariable):
    name = "order_id"
    label = _l("Platform order id")
    example = "3712893019283746"

    def value(self, ctx: RenderContext) -> str:
        order = ctx.session.get(Order, ctx.order_id) if ctx.order_id else None
        return order.platform_order_id if order else ""


@hookimpl
def register_template_variables() -> Iterable[TemplateVariable]:
    return [ShopName(), CustomerName(), Nickname(), OrderId()]
