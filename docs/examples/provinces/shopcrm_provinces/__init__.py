"""A page: customers and sales by province (at /plugins/provinces/), its entry in the menu, and a
panel on each customer's page with where their spending ranks in their province.

Every plugin page needs a signed-in user, like the core's; the page is for every role.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, render_template_string, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select

from shopcrm import hookimpl
from shopcrm.models import Customer
from shopcrm.shops import default_shop
from shopcrm.web.database import db

if TYPE_CHECKING:
    from shopcrm.models import User

bp = Blueprint("provinces", __name__)

PAGE = """{% extends "layout.html" %}
{% block title %}{{ _("Provinces") }}{% endblock %}
{% block content %}
<h1>{{ _("Provinces") }}</h1>
<table class="table">
  <tr><th>{{ _("Province") }}</th><th>{{ _("Customers") }}</th><th>{{ _("Paid (yuan)") }}</th></tr>
  {% for province, customers, paid in rows %}
  <tr><td>{{ province or _("unknown") }}</td><td>{{ customers }}</td><td>{{ "%.2f"|format(paid) }}</td></tr>
  {% endfor %}
</table>
{% endblock %}"""


@bp.get("/")  # served at /plugins/provinces/
def index() -> str:
    session = db()
    shop = default_shop(session)
    rows = session.execute(
        select(Customer.province, func.count(), func.coalesce(func.sum(Customer.total_paid), 0))
        .where(Customer.shop_id == shop.id)
        .group_by(Customer.province)
        .order_by(func.count().desc(), Customer.province)
    ).all()
    return render_template_string(PAGE, rows=rows)


@hookimpl
def register_blueprints() -> list[Blueprint]:
    return [bp]


@hookimpl
def menu_items(user: "User") -> list[tuple[str, str]]:
    return [(_("Provinces"), url_for("provinces.index"))]


@hookimpl
def customer_panels(customer: Customer) -> list[str]:
    if not customer.province or not customer.order_count:
        return []
    ahead, everyone = db().execute(
        select(func.count().filter(Customer.total_paid > customer.total_paid), func.count())
        .where(Customer.shop_id == customer.shop_id, Customer.province == customer.province,
               Customer.order_count > 0)
    ).one()
    # Markup.format escapes its arguments: a province comes from an imported file
    return [Markup("<h3>{}</h3><p>{}</p>").format(
        _("Spending in %(province)s", province=customer.province),
        _("%(rank)d of %(count)d paying customers", rank=ahead + 1, count=everyone),
    )]
