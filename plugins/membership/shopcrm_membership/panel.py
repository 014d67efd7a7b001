"""The membership panel on a customer's page: tier, what it rests on and what the next one
needs, points, and the latest points history."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from shopcrm.models import Customer, CustomerLabel
from shopcrm.web.database import db
from shopcrm_membership import points
from shopcrm_membership.rules import Rules, load_rules
from shopcrm_membership.tiers import NAME as TIER

HISTORY = 20


def next_tier(rules: Rules, tier: str | None, scores: dict[str, Any]) -> tuple[str, Decimal] | None:
    """The tier above the customer's and how much more (yuan or orders) it needs, if any."""
    names = [t.name for t in rules.tiers]
    if tier not in names or names.index(tier) + 1 >= len(rules.tiers):
        return None
    target = rules.tiers[names.index(tier) + 1]
    measure = Decimal(str(scores.get("paid" if rules.basis == "amount" else "orders") or 0))
    return target.name, max(Decimal(target.threshold) - measure, Decimal(0))


def customer_panel(customer: Customer) -> str:
    """The panel's HTML, rendered (and so escaped) by Jinja."""
    session = db()
    rules = load_rules(session, customer.shop_id)
    label = session.scalar(select(CustomerLabel).where(CustomerLabel.customer_id == customer.id,
                                                       CustomerLabel.segmenter == TIER))
    scores = label.scores if label is not None and isinstance(label.scores, dict) else {}
    return render_template(
        "membership/_panel.html",
        customer=customer,
        rules=rules,
        label=label,
        scores=scores,
        upgrade=next_tier(rules, label.value if label else None, scores),
        balance=points.balance(session, customer.id),
        entries=points.history(session, customer.id, HISTORY),
        may_change=current_user.is_authenticated and current_user.can("operator"),
    )
