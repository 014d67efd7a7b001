"""The life-stage funnel: customers per stage now, and who moved between stages lately.

The counts are one ``GROUP BY value`` over the shop's ``lifecycle`` labels (the index
``(shop_id, segmenter, value)`` answers it alone); the movement comes from the recorded runs
(:func:`shopcrm.labels.moves_since`), never from comparing labels customer by customer.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopcrm.labels import last_runs, moves_since
from shopcrm.models import CustomerLabel
from shopcrm_lifecycle.stages import NAME, STAGES


@dataclass(slots=True, frozen=True)
class Stage:
    value: str
    description: str
    customers: int
    share: float
    """Of all labelled customers, 0–1."""
    width: int
    """The bar's length, 0–100 in steps of 5, against the largest stage."""


def stages(session: Session, shop_id: int) -> list[Stage]:
    """Every stage in funnel order (潜在 → 新客 → 活跃 → 沉睡 → 流失) with its customers."""
    counts = dict(session.execute(
        select(CustomerLabel.value, func.count())
        .where(CustomerLabel.shop_id == shop_id, CustomerLabel.segmenter == NAME)
        .group_by(CustomerLabel.value)
    ).all())
    total = sum(int(n) for n in counts.values())
    largest = max((int(n) for n in counts.values()), default=0)
    return [Stage(value, description, int(counts.get(value, 0)),
                  int(counts.get(value, 0)) / total if total else 0.0,
                  bar_width(int(counts.get(value, 0)), largest))
            for value, description in STAGES]


def bar_width(count: int, largest: int) -> int:
    """0 for none, else 5–100 in steps of 5 (rounded up), so a small stage still shows."""
    if count <= 0 or largest <= 0:
        return 0
    return max(5, min(100, -(-count * 20 // largest) * 5))


@dataclass(slots=True, frozen=True)
class Move:
    before: str | None
    """``None``: a customer who had no stage yet (new to the shop)."""
    after: str | None
    customers: int


@dataclass(slots=True, frozen=True)
class Movement:
    since: dt.datetime
    """When the full run the movement is counted from started."""
    moves: list[Move]


def movement(session: Session, shop_id: int) -> Movement | None:
    """Who changed stage since the full run before the latest one (the latest full run's
    moves and any incremental run's after it); ``None`` before there are two full runs."""
    runs = last_runs(session, shop_id, NAME, limit=2, full_only=True)
    if len(runs) < 2:
        return None
    totals = moves_since(session, shop_id, NAME, runs[1].id)
    order = {value: i for i, (value, _description) in enumerate(STAGES)}
    moves = [Move(before, after, n) for (before, after), n in totals.items() if n]
    moves.sort(key=lambda m: (-m.customers, _rank(order, m.before), _rank(order, m.after)))
    return Movement(runs[1].started_at, moves)


def _rank(order: dict[str, int], value: Any) -> int:
    return -1 if value is None else order.get(value, len(order))


__all__ = ["Move", "Movement", "Stage", "bar_width", "movement", "stages"]
