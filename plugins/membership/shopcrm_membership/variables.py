"""Template variables ``${tier}`` and ``${points}``."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shopcrm.variables import RenderContext, TemplateVariable
from shopcrm_membership import points
from shopcrm_membership.tiers import tier_of


class TierVariable(TemplateVariable):
    """The customer's membership tier (empty before tiers were computed)."""

    name = "tier"
    label = _l("Membership tier")
    example = "金牌会员"

    def value(self, ctx: RenderContext) -> str:
        if ctx.customer_id is None:
            return ""
        return tier_of(ctx.session, ctx.customer_id) or ""


class PointsVariable(TemplateVariable):
    """The customer's points balance."""

    name = "points"
    label = _l("Points balance")
    example = "1280"

    def value(self, ctx: RenderContext) -> str:
        if ctx.customer_id is None:
            return ""
        return str(points.balance(ctx.session, ctx.customer_id))
