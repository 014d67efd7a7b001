"""Template variables: ``${province}``, where the customer lives, and ``${orders}``, how many
orders they have paid for ("感谢您第${orders}次光临").

``province`` reads one customer at a time (a campaign's batch is already loaded in the session,
so ``session.get`` costs no query); ``orders`` also fills a campaign's whole batch in one query.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopcrm import hookimpl
from shopcrm.models import Customer
from shopcrm.variables import RenderContext, TemplateVariable


class Province(TemplateVariable):
    name = "province"
    label = _l("Customer's province")
    example = "浙江省"

    def value(self, ctx: RenderContext) -> str:
        customer = ctx.session.get(Customer, ctx.customer_id) if ctx.customer_id else None
        return (customer.province or "") if customer else ""


class Orders(TemplateVariable):
    name = "orders"
    label = _l("Number of paid orders")
    example = "3"

    def value(self, ctx: RenderContext) -> str:
        if ctx.customer_id is None:
            return ""
        return self.values(ctx, [ctx.customer_id]).get(ctx.customer_id, "")

    def values(self, ctx: RenderContext, customer_ids: Sequence[int]) -> Mapping[int, str]:
        rows = ctx.session.execute(
            select(Customer.id, Customer.order_count)
            .where(Customer.shop_id == ctx.shop_id, Customer.id.in_(list(customer_ids)))
        )
        return {customer_id: str(count) for customer_id, count in rows}


@hookimpl
def register_template_variables() -> list[TemplateVariable]:
    return [Province(), Orders()]
