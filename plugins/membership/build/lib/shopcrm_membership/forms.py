"""The membership pages' forms; the rules themselves are checked by :func:`rules.check_rules`."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField

from shopcrm_membership.rules import MAX_TIERS, Rules


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class RulesForm(FlaskForm):
    """Tier rules and points settings of the shop; plain text inputs, checked by ``check_rules``
    so that every mistake gets one clear message."""

    basis = SelectField(_l("Tiers are measured by"), choices=[
        SelectChoice("amount", _l("Amount paid (yuan)")),
        SelectChoice("orders", _l("Number of paid orders"))])
    window_days = StringField(_l("Counted over the last … days"), filters=[_strip])
    downgrade_enabled = BooleanField(_l("Lower tiers in the scheduled review"))
    points_per_yuan = StringField(_l("Points per yuan paid"), filters=[_strip])
    points_expiry_months = StringField(_l("Points expire after … months (0: never)"), filters=[_strip])

    def tier_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"tier_name_{i}"], self[f"tier_threshold_{i}"]) for i in range(1, MAX_TIERS + 1)]

    def values(self) -> dict[str, Any]:
        """What was typed, in the shape :func:`check_rules` reads."""
        return {
            "basis": self.basis.data,
            "window_days": self.window_days.data or "",
            "tiers": [{"name": name.data or "", "threshold": threshold.data or None}
                      for name, threshold in self.tier_rows()],
            "downgrade_enabled": bool(self.downgrade_enabled.data),
            "points_per_yuan": self.points_per_yuan.data or "",
            "points_expiry_months": self.points_expiry_months.data or "",
        }

    def fill(self, rules: Rules) -> None:
        self.basis.data = rules.basis
        self.window_days.data = str(rules.window_days)
        self.downgrade_enabled.data = rules.downgrade_enabled
        self.points_per_yuan.data = str(rules.points_per_yuan)
        self.points_expiry_months.data = str(rules.points_expiry_months)
        for index, (name, threshold) in enumerate(self.tier_rows()):
            tier = rules.tiers[index] if index < len(rules.tiers) else None
            name.data = tier.name if tier else ""
            threshold.data = str(tier.threshold) if tier else ""


for _i in range(1, MAX_TIERS + 1):
    setattr(RulesForm, f"tier_name_{_i}", StringField(_l("Tier %(n)d name", n=_i), filters=[_strip]))
    setattr(RulesForm, f"tier_threshold_{_i}",
            StringField(_l("Tier %(n)d threshold", n=_i), filters=[_strip]))


class PointsForm(FlaskForm):
    """A manual points change: add or take away (adjust), or spend (redeem), with a reason."""

    action = RadioField(_l("Change"), default="adjust", choices=[
        SelectChoice("adjust", _l("Adjust (negative to take away)")), SelectChoice("redeem", _l("Redeem"))])
    points = StringField(_l("Points"), filters=[_strip])
    reason = TextAreaField(_l("Reason"), filters=[_strip])
