"""The customer list query: search, filters and keyset pagination, fast at a million customers.

* Search: digits only (2 to 11) match the mobile — four digits the indexed ``mobile_tail``,
  other lengths the end of the mobile (a full number: equality); anything else is a prefix of the
  buyer nick or of the name, written as index range conditions (``>= q`` and ``< q + U+FFFF``)
  so both databases use their indexes without LIKE collation rules.
* Sort by last order, total paid or when the customer was added, newest/biggest first, with the
  id as a tie-breaker; pages follow a cursor (the last row's sort value and id), never OFFSET,
  so page 2,000 costs what page 1 does.
* A search that matches few customers (up to :data:`FEW`) is answered from its own indexes:
  their ids first, then only those rows, sorted. Walking the sort index and testing every
  customer, which SQLite otherwise may pick, reads most of the shop for a rare nick. A search
  matching more reads the sort index as a list without search does, testing each customer
  (matches are then dense), rather than gathering and sorting all its matches.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Customer
from shopcrm.sql import in_ids

SORTS = {"last_order": Customer.last_order_at, "total_paid": Customer.total_paid, "created": Customer.created_at}
PAGE_SIZE = 50
FEW = 2000
"""Searches matching at most this many customers are sorted from their own matches."""
_TOP = "\uffff"


@dataclass(slots=True)
class Filters:
    province: str | None = None
    min_orders: int | None = None
    max_orders: int | None = None
    bought_within_days: int | None = None
    reachable: bool | None = None


@dataclass(slots=True)
class Page:
    rows: list[Customer]
    next_cursor: str | None
    filters: Filters = field(default_factory=Filters)


def cursor_for(value: Any, row_id: int) -> str:
    """The page cursor that continues after the row with this sort value and id."""
    if isinstance(value, dt.datetime):
        raw: Any = ["t", value.isoformat()]
    elif isinstance(value, Decimal):
        raw = ["d", str(value)]
    else:
        raw = ["n", None]
    return base64.urlsafe_b64encode(json.dumps([raw, row_id]).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, int]:
    try:
        (kind, text), row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value = dt.datetime.fromisoformat(text) if kind == "t" else Decimal(text) if kind == "d" else None
        return value, int(row_id)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise ValueError("this page link is broken; start again from the first page") from None


def search_condition(query: str, indexed: bool = True) -> Any:
    """The search as a condition; ``indexed=False`` writes it so that no index serves it (for a
    search matching most customers, which the sort index finds fastest, testing each)."""
    q = query.strip()
    if not q:
        return None

    def plain(column: Any) -> Any:
        return column if indexed else func.coalesce(column, column)

    digits = q.replace(" ", "").replace("-", "")
    if digits.isdigit() and 2 <= len(digits) <= 11:
        if len(digits) == 4:
            return plain(Customer.mobile_tail) == digits
        if len(digits) == 11:
            return plain(Customer.mobile) == digits
        return Customer.mobile.endswith(digits, autoescape=True)
    nick, name = plain(Customer.platform_id), plain(Customer.name)
    return or_(and_(nick >= q, nick < q + _TOP), and_(name >= q, name < q + _TOP))


def _filtered(shop_id: int, query: str, filters: Filters, indexed: bool = True) -> Select[tuple[Customer]]:
    statement = select(Customer).where(Customer.shop_id == shop_id)
    condition = search_condition(query, indexed)
    if condition is not None:
        statement = statement.where(condition)
    if filters.province:
        statement = statement.where(Customer.province == filters.province)
    if filters.min_orders is not None:
        statement = statement.where(Customer.order_count >= filters.min_orders)
    if filters.max_orders is not None:
        statement = statement.where(Customer.order_count <= filters.max_orders)
    if filters.bought_within_days is not None:
        statement = statement.where(Customer.last_order_at >= utcnow() - dt.timedelta(days=filters.bought_within_days))
    if filters.reachable is not None:
        statement = statement.where(Customer.sms_reachable.is_(filters.reachable))
    return statement


def build_query(shop_id: int, query: str = "", filters: Filters | None = None, sort: str = "last_order",
                cursor: str | None = None, limit: int = PAGE_SIZE, nulls: bool = False,
                among: list[int] | None = None, dialect: str = "sqlite") -> Select[tuple[Customer]]:
    """One of the two index range reads a page is made of: customers with a sort value (by
    value and id, descending), or with ``nulls=True`` those without one (never ordered, by id).

    A cursor continues with a row-value comparison, ``(value, id) < (v, i)``, which both
    databases answer from the sort index as a range, where an OR of conditions would scan.
    ``among``: only these customers (a search's few matches), looked up by id and sorted by
    expressions no index provides, so the database does exactly that.
    """
    column = SORTS.get(sort)
    if column is None:
        raise ValueError(f"unknown sort {sort!r} (sorts: {', '.join(SORTS)})")
    # A search that is not among a few matches matches many: read the sort index, test each.
    statement = _filtered(shop_id, query, filters or Filters(), indexed=among is not None)
    value, row_id = _decode(cursor) if cursor else (None, None)
    order_value, order_id = column, Customer.id
    if among is not None:
        statement = statement.where(in_ids(Customer.id, among, dialect))
        order_value, order_id = func.coalesce(column, column), Customer.id + 0
    if nulls:
        statement = statement.where(column.is_(None))
        if row_id is not None and value is None:
            statement = statement.where(Customer.id < row_id)
        return statement.order_by(order_id.desc()).limit(limit + 1)
    statement = statement.where(column.is_not(None))
    if value is not None:
        statement = statement.where(tuple_(column, Customer.id) < tuple_(value, row_id))
    return statement.order_by(order_value.desc(), order_id.desc()).limit(limit + 1)


def few_matches(session: Session, shop_id: int, query: str) -> list[int] | None:
    """The ids of the customers a search matches, when there are at most :data:`FEW` of them."""
    condition = search_condition(query)
    if condition is None:
        return None
    ids = list(session.scalars(select(Customer.id).where(Customer.shop_id == shop_id, condition).limit(FEW + 1)))
    return ids if len(ids) <= FEW else None


def search(session: Session, shop_id: int, query: str = "", filters: Filters | None = None,
           sort: str = "last_order", cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """One page of the shop's customers and the cursor of the next page (``None`` at the end).

    Customers with a sort value come first, the others (e.g. never ordered) after them.
    """
    attribute = {"last_order": "last_order_at", "total_paid": "total_paid", "created": "created_at"}.get(sort)
    in_nulls = bool(cursor) and _decode(cursor)[0] is None
    among = few_matches(session, shop_id, query)
    dialect = session.get_bind().dialect.name
    rows: list[Customer] = []
    if among == []:
        return Page([], None, filters or Filters())
    if not in_nulls:
        rows = list(session.scalars(build_query(shop_id, query, filters, sort, cursor, limit, among=among,
                                                dialect=dialect)))
    if len(rows) <= limit:
        rest = build_query(shop_id, query, filters, sort, cursor if in_nulls else None, limit - len(rows),
                           nulls=True, among=among, dialect=dialect)
        rows += list(session.scalars(rest))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = cursor_for(getattr(last, attribute or "last_order_at"), last.id)
    return Page(rows, next_cursor, filters or Filters())


__all__ = ["FEW", "Filters", "Page", "SORTS", "build_query", "cursor_for", "few_matches", "search", "search_condition"]
