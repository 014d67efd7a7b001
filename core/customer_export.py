"""Exporting customers to CSV: profile, rollups and every segmenter's label as a column.

Streamed in id order, a batch at a time, so the whole table is never in memory. Optionally only
the customers of a segment's rules.
"""
from __future__ import annotations

import csv
from typing import IO, Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.models import Customer, CustomerLabel
from shopcrm.segment_rules import compile_rules

BATCH = 5000
COLUMNS = ("id", "platform_id", "name", "mobile", "sms_reachable", "email", "gender", "province", "city",
           "address", "birthday", "tags", "order_count", "total_paid", "first_order_at", "last_order_at",
           "created_at")


def label_columns(session: Session, shop_id: int) -> list[str]:
    return list(session.scalars(select(CustomerLabel.segmenter).where(CustomerLabel.shop_id == shop_id)
                                .group_by(CustomerLabel.segmenter).order_by(CustomerLabel.segmenter)))


def rows(session: Session, shop_id: int, rules: Any = None, mask: Any = None) -> Iterator[list[Any]]:
    """The header, then one row per customer. ``mask`` (a function) hides mobiles when given."""
    segmenters = label_columns(session, shop_id)
    yield [*COLUMNS, *(f"label.{name}" for name in segmenters)]
    condition = compile_rules(rules) if rules is not None else None
    last_id = 0
    while True:
        statement = select(Customer).where(Customer.shop_id == shop_id, Customer.id > last_id)
        if condition is not None:
            statement = statement.where(condition)
        batch = session.scalars(statement.order_by(Customer.id).limit(BATCH)).all()
        if not batch:
            return
        labels: dict[tuple[int, str], str] = {
            (row.customer_id, row.segmenter): row.value
            for row in session.execute(select(CustomerLabel.customer_id, CustomerLabel.segmenter, CustomerLabel.value)
                                       .where(CustomerLabel.customer_id.in_([c.id for c in batch])))
        }
        for customer in batch:
            values = {name: getattr(customer, name) for name in COLUMNS}
            values["tags"] = ",".join(customer.tags or [])
            if mask is not None:
                values["mobile"] = mask(customer.mobile)
            yield [_cell(values[name]) for name in COLUMNS] + [labels.get((customer.id, s), "") for s in segmenters]
        last_id = batch[-1].id
        session.expunge_all()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value


def write_csv(handle: IO[str], session: Session, shop_id: int, rules: Any = None, mask: Any = None) -> int:
    """Write the export to ``handle``; returns how many customers."""
    writer = csv.writer(handle)
    count = -1
    for row in rows(session, shop_id, rules, mask):
        writer.writerow(row)
        count += 1
    return count
