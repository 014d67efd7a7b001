"""The order list: filter by status and date, find an order by its id, keyset pages."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import and_, or_, select

from shopcrm.models import Customer, Order
from shopcrm.shops import default_shop
from shopcrm.web.database import db
from shopcrm.web.order_labels import STATUS_LABELS, status_label

bp = Blueprint("orders", __name__, url_prefix="/orders")

PAGE_SIZE = 50


def _date(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/")
def index() -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    status = request.args.get("status") or None
    if status not in STATUS_LABELS:
        status = None
    start, end = _date("from"), _date("to")
    order_id = request.args.get("q", "").strip()[:64]
    statement = (select(Order, Customer).join(Customer, Customer.id == Order.customer_id)
                 .where(Order.shop_id == shop.id))
    if order_id:
        statement = statement.where(Order.platform_order_id == order_id)
    if status:
        statement = statement.where(Order.status == status)
    if start:
        statement = statement.where(Order.created_at >= dt.datetime.combine(start, dt.time()))
    if end:
        statement = statement.where(Order.created_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    after = request.args.get("after", "")
    if after.count("_") == 1:
        stamp, _, last_id = after.partition("_")
        try:
            moment = dt.datetime.fromisoformat(stamp)
            statement = statement.where(or_(Order.created_at < moment,
                                            and_(Order.created_at == moment, Order.id < int(last_id))))
        except ValueError:
            pass
    rows = session.execute(statement.order_by(Order.created_at.desc(), Order.id.desc()).limit(PAGE_SIZE + 1)).all()
    next_after = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        last = rows[-1][0]
        next_after = f"{last.created_at.isoformat()}_{last.id}"
    params = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template("orders/index.html", rows=rows, status=status, statuses=STATUS_LABELS,
                           status_label=status_label, start=start, end=end, order_id=order_id,
                           next_after=next_after, params=params, first_page=not after)
