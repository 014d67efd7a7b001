"""Template variables ``${tier}`` and ``${points}``."""
from __future__ import annotations

from typing import Mapping, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopcrm.models import CustomerLabel
from shopcrm.sql import in_ids

from shopcrm.variables import RenderContext, TemplateVariable
from shopcrm_membership import points
from shopcrm_membership.tiers import NAME, tier_of


class TierVariable(TemplateVariable):
    """The customer's membership tier (empty before tiers were computed)."""

    name = "tier"
    label = _l("Membership tier")
    example = "金牌会员"

    def value(self, ctx: RenderContext) -> str:
        if ctx.customer_id is None:
            return ""
        return tier_of(ctx.session, ctx.customer_id) or ""

    def values(self, ctx: RenderContext, customer_ids: Sequence[int]) -> Mapping[int, str]:
        dialect = ctx.session.get_bind().dialect.name
        found = dict(ctx.session.execute(select(CustomerLabel.customer_id, CustomerLabel.value).where(
            CustomerLabel.segmenter == NAME, in_ids(CustomerLabel.customer_id, customer_ids, dialect))).all())
        return {customer_id: found.get(customer_id) or "" for customer_id in customer_ids}


class PointsVariable(TemplateVariable):
    """The customer's points balance."""

    name = "points"
    label = _l("Points balance")
    example = "1280"

    def value(self, ctx: RenderContext) -> str:
        if ctx.customer_id is None:
            return ""
        return str(points.balance(ctx.session, ctx.customer_id))

    def values(self, ctx: RenderContext, customer_ids: Sequence[int]) -> Mapping[int, str]:
        found = points.balances(ctx.session, customer_ids)
        return {customer_id: str(found.get(customer_id, 0)) for customer_id in customer_ids}
