"""The customer pages: the list (search, filters, keyset pages) and one customer's page.

Every role may look; mobiles are masked for roles that may not see them (``mask_mobile``).
A customer of another shop is a 404, never a peek. The list's filters open in the segment
builder as rules, and roles that may export download the customers they select.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shopcrm.customer_search import SORTS, Filters, search
from shopcrm.models import Customer, CustomerLabel, Message, Order, Review
from shopcrm.plugins import call_each
from shopcrm.regions import PROVINCES
from shopcrm.shops import default_shop
from shopcrm.web.database import db
from shopcrm.web.order_labels import STATUS_STEPS, status_label, step_label
from shopcrm.web.rules_input import rules_from_filters
from shopcrm.web.segment_export import EXPORT_ROLE

bp = Blueprint("customers", __name__, url_prefix="/customers")

RECENT_MESSAGES = 20


def _int(name: str, low: int = 0, high: int = 100_000) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw.isdigit():
        return None
    return max(low, min(high, int(raw)))


def read_filters() -> Filters:
    reachable = request.args.get("reachable")
    return Filters(
        province=request.args.get("province") or None,
        min_orders=_int("min_orders"),
        max_orders=_int("max_orders"),
        bought_within_days=_int("within_days", 1, 3650),
        reachable={"yes": True, "no": False}.get(reachable or ""),
    )


@bp.route("/")
def index() -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    query = request.args.get("q", "")[:60]
    sort = request.args.get("sort", "last_order")
    if sort not in SORTS:
        sort = "last_order"
    filters = read_filters()
    try:
        page = search(session, shop.id, query, filters, sort, request.args.get("after") or None)
        broken = None
    except ValueError as exc:
        page, broken = search(session, shop.id, query, filters, sort), str(exc)
    provinces = [full for full, _short in PROVINCES]  # a fixed list: no scan of a million customers
    labels = _labels_of([c.id for c in page.rows])
    params = {k: v for k, v in request.args.items() if k not in ("after",) and v}
    template = "customers/_rows.html" if request.headers.get("HX-Request") else "customers/index.html"
    filter_rules = json.dumps(rules_from_filters(filters), ensure_ascii=False)
    return render_template(template, page=page, query=query, sort=sort, filters=filters, provinces=provinces,
                           labels=labels, params=params, broken=broken, first_page=not request.args.get("after"),
                           filter_rules=filter_rules, can_export=current_user.can(EXPORT_ROLE))


def _labels_of(ids: list[int]) -> dict[int, list[CustomerLabel]]:
    found: dict[int, list[CustomerLabel]] = {}
    if ids:
        for label in db().scalars(select(CustomerLabel).where(CustomerLabel.customer_id.in_(ids))
                                  .order_by(CustomerLabel.segmenter)):
            found.setdefault(label.customer_id, []).append(label)
    return found


@bp.route("/<int:customer_id>")
def detail(customer_id: int) -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    customer = session.get(Customer, customer_id)
    if customer is None or customer.shop_id != shop.id:
        abort(404)
    orders = session.scalars(select(Order).where(Order.customer_id == customer.id)
                             .options(selectinload(Order.items)).order_by(Order.created_at.desc())).all()
    reviews = session.scalars(select(Review).where(Review.customer_id == customer.id)
                              .order_by(Review.created_at.desc())).all()
    labels = session.scalars(select(CustomerLabel).where(CustomerLabel.customer_id == customer.id)
                             .order_by(CustomerLabel.segmenter)).all()
    messages = session.scalars(select(Message).where(Message.customer_id == customer.id)
                               .order_by(Message.created_at.desc()).limit(RECENT_MESSAGES)).all()
    panels = [Markup(html) for _plugin, fragments in call_each("customer_panels", customer=customer)
              for html in (fragments or ()) if html]
    return render_template("customers/detail.html", customer=customer, orders=orders, reviews=reviews,
                           labels=labels, messages=messages, panels=panels, steps=_steps,
                           step_label=status_label)


def _steps(order: Order) -> list[dict[str, Any]]:
    """The order's timeline: each step it reached, with its time."""
    steps = []
    for status, attribute in STATUS_STEPS:
        moment = getattr(order, attribute)
        if moment is not None and (status != "refunded" or order.status == "refunded"):
            if status == "closed" and order.status == "refunded":
                continue
            steps.append({"status": status, "label": step_label(status), "at": moment})
    return steps
