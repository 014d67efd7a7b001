"""Saved segments: named rules, evaluated whenever they are used, with their last count."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Customer, Segment
from shopcrm.registry import get_registry
from shopcrm.segment_rules import compile_rules, count_matching

SAMPLE_SIZE = 20


def known_segmenters() -> set[str]:
    return set(get_registry().segmenters.items)


def check_rules(rules: Any) -> None:
    """Raise :class:`~shopcrm.segment_rules.RuleError` unless ``rules`` compile."""
    compile_rules(rules, known_segmenters())


def save_segment(session: Session, shop_id: int, name: str, rules: Any, description: str = "",
                 created_by: int | None = None) -> Segment:
    """Create or replace the segment ``name`` (rules checked first)."""
    name = name.strip()
    if not name:
        raise ValueError("a segment needs a name")
    check_rules(rules)
    segment = session.scalar(select(Segment).where(Segment.shop_id == shop_id, Segment.name == name))
    if segment is None:
        segment = Segment(shop_id=shop_id, name=name, rules=rules, description=description, created_by=created_by)
        session.add(segment)
    else:
        segment.rules, segment.description = rules, description or segment.description
        segment.last_count = segment.last_counted_at = None
    session.flush()
    return segment


def find_segment(session: Session, shop_id: int, name: str) -> Segment:
    segment = session.scalar(select(Segment).where(Segment.shop_id == shop_id, Segment.name == name))
    if segment is None:
        known = ", ".join(session.scalars(select(Segment.name).where(Segment.shop_id == shop_id)
                                          .order_by(Segment.name))) or "none"
        raise LookupError(f"no segment named {name!r} (segments: {known})")
    return segment


def count_rules(session: Session, shop_id: int, rules: Any) -> int:
    return int(session.scalar(count_matching(shop_id, rules, known_segmenters())) or 0)


def count_segment(session: Session, segment: Segment) -> int:
    """Count a saved segment now and remember the count and when."""
    segment.last_count = count_rules(session, segment.shop_id, segment.rules)
    segment.last_counted_at = utcnow()
    return segment.last_count


def name_taken(session: Session, shop_id: int, name: str, other_than: int | None = None) -> bool:
    """True when the shop has a segment called ``name`` (besides the segment ``other_than``)."""
    query = select(Segment.id).where(Segment.shop_id == shop_id, Segment.name == name.strip())
    if other_than is not None:
        query = query.where(Segment.id != other_than)
    return session.scalar(query.limit(1)) is not None


def sample_rules(session: Session, shop_id: int, rules: Any, limit: int = SAMPLE_SIZE) -> list[Customer]:
    """Up to ``limit`` of the customers matching ``rules``, the latest added first: one query."""
    condition = compile_rules(rules, known_segmenters())
    return list(session.scalars(select(Customer).where(Customer.shop_id == shop_id, condition)
                                .order_by(Customer.id.desc()).limit(limit)))
