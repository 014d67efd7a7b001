"""A shop's membership rules: its tiers and how points are earned, saved per shop.

The rules are one JSON object in the core's plugin settings (:mod:`shopcrm.plugin_settings`,
plugin ``membership``). :func:`check_rules` turns what an operator typed (or what was saved)
into :class:`Rules`, or raises :class:`RulesError` naming the field and what is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from shopcrm import plugin_settings

PLUGIN = "membership"
BASES: tuple[str, ...] = ("amount", "orders")
"""What tiers are measured by: amount paid (yuan) or number of paid orders, in the window."""
MAX_TIERS = 5
MAX_THRESHOLD = 100_000_000
NAME_MAX = 20

DEFAULT_TIERS: tuple[tuple[str, int], ...] = (
    ("普通会员", 0),
    ("铜牌会员", 500),
    ("银牌会员", 2000),
    ("金牌会员", 5000),
    ("钻石会员", 20000),
)
DEFAULTS: dict[str, Any] = {
    "basis": "amount",
    "window_days": 365,
    "tiers": [{"name": name, "threshold": threshold} for name, threshold in DEFAULT_TIERS],
    "downgrade_enabled": False,
    "points_per_yuan": 1,
    "points_expiry_months": 12,
}


@dataclass(frozen=True, slots=True)
class Tier:
    """A tier and the least amount (yuan) or order count that reaches it."""

    name: str
    threshold: int


@dataclass(frozen=True, slots=True)
class Rules:
    """A shop's checked membership rules."""

    basis: str
    window_days: int
    tiers: tuple[Tier, ...]
    downgrade_enabled: bool
    points_per_yuan: int
    points_expiry_months: int
    """0: points never expire."""

    def as_settings(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "window_days": self.window_days,
            "tiers": [{"name": t.name, "threshold": t.threshold} for t in self.tiers],
            "downgrade_enabled": self.downgrade_enabled,
            "points_per_yuan": self.points_per_yuan,
            "points_expiry_months": self.points_expiry_months,
        }


class RulesError(ValueError):
    """Rules an operator cannot save: ``field`` is the form field at fault."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(getattr(message, "_args", (message,))[0])
        self.field = field
        self.message = message


def _whole(value: Any, field: str, low: int, high: int, message: Any) -> int:
    if isinstance(value, bool):
        raise RulesError(field, message)
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            raise RulesError(field, message)
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        raise RulesError(field, message)
    return value


def check_rules(values: Mapping[str, Any]) -> Rules:
    """Check ``values`` (the defaults overlaid with what was given) and return the rules."""
    merged = {**DEFAULTS, **values}
    basis = merged["basis"]
    if basis not in BASES:
        raise RulesError("basis", _l("Choose amount paid or number of orders."))
    window = _whole(merged["window_days"], "window_days", 1, 3650,
                    _l("The window is a whole number of days from 1 to 3650."))
    raw_tiers = merged["tiers"]
    if not isinstance(raw_tiers, (list, tuple)):
        raise RulesError("tiers", _l("Give at least one tier."))
    tiers: list[Tier] = []
    for index, raw in enumerate(raw_tiers, start=1):
        name = str((raw or {}).get("name") or "").strip()
        threshold = (raw or {}).get("threshold")
        if not name and threshold in (None, ""):
            continue  # an empty row of the form
        if not name:
            raise RulesError(f"tier_name_{index}", _l("Give the tier a name."))
        if len(name) > NAME_MAX:
            raise RulesError(f"tier_name_{index}",
                             _l("A tier name can have at most %(max)d characters.", max=NAME_MAX))
        if any(t.name == name for t in tiers):
            raise RulesError(f"tier_name_{index}", _l("Each tier needs a name of its own."))
        limit = _whole(threshold if threshold is not None else "", f"tier_threshold_{index}",
                       0, MAX_THRESHOLD, _l("The threshold is a whole number, 0 or more."))
        if not tiers and limit != 0:
            raise RulesError(f"tier_threshold_{index}",
                             _l("The first tier starts at 0: every customer has a tier."))
        if tiers and limit <= tiers[-1].threshold:
            raise RulesError(f"tier_threshold_{index}",
                             _l("Each tier needs a higher threshold than the one before."))
        tiers.append(Tier(name, limit))
    if not tiers:
        raise RulesError("tier_name_1", _l("Give at least one tier."))
    if len(tiers) > MAX_TIERS:
        raise RulesError("tiers", _l("At most %(max)d tiers.", max=MAX_TIERS))
    rate = _whole(merged["points_per_yuan"], "points_per_yuan", 0, 100,
                  _l("Points per yuan is a whole number from 0 to 100."))
    months = _whole(merged["points_expiry_months"], "points_expiry_months", 0, 120,
                    _l("Months before points expire is a whole number from 0 (never) to 120."))
    return Rules(basis=basis, window_days=window, tiers=tuple(tiers),
                 downgrade_enabled=bool(merged["downgrade_enabled"]),
                 points_per_yuan=rate, points_expiry_months=months)


def load_rules(session: Session, shop_id: int, overrides: Mapping[str, Any] | None = None) -> Rules:
    """The shop's saved rules (the defaults where nothing was saved), with ``overrides``."""
    saved = plugin_settings.load(session, PLUGIN, shop_id, DEFAULTS)
    return check_rules({**saved, **(overrides or {})})


def save_rules(session: Session, shop_id: int, rules: Rules) -> None:
    """Store checked rules for the shop (committed with the caller's transaction)."""
    plugin_settings.save(session, PLUGIN, shop_id, rules.as_settings())
