"""The membership panel on a customer's page: tier, points, and the latest points history."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from shopcrm.models import Customer
from shopcrm.web.database import db
from shopcrm_membership import points
from shopcrm_membership.tiers import tier_of

HISTORY = 20


def customer_panel(customer: Customer) -> str:
    """The panel's HTML, rendered (and so escaped) by Jinja."""
    session = db()
    return render_template(
        "membership/_panel.html",
        customer=customer,
        tier=tier_of(session, customer.id),
        balance=points.balance(session, customer.id),
        entries=points.history(session, customer.id, HISTORY),
        may_change=current_user.is_authenticated and current_user.can("operator"),
    )
