"""The customers of one grid cell or one class: a small list on the RFM page itself.

Segment rules cannot address R and F scores, so a grid cell's customers are listed here;
a class's too, so every cell and row opens a list. Pages follow the customer id (keyset: the
last id shown), never an offset, so a late page costs what the first does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.models import Customer, CustomerLabel
from shopcrm_rfm.figures import SCORES, mine, score

PAGE_SIZE = 50


@dataclass(slots=True, frozen=True)
class Selection:
    """Which customers: a class (``value``), or a grid cell (``r_score`` and ``f_score``)."""

    value: str | None = None
    r_score: int | None = None
    f_score: int | None = None

    @classmethod
    def from_args(cls, args: Any) -> "Selection | None":
        """From the query string (``value=…`` or ``r=…&f=…``); ``None`` when it names neither."""
        value = (args.get("value") or "").strip()[:60]
        if value:
            return cls(value=value)
        r, f = _score(args.get("r")), _score(args.get("f"))
        if r is not None and f is not None:
            return cls(r_score=r, f_score=f)
        return None

    def query_args(self) -> dict[str, Any]:
        return {"value": self.value} if self.value else {"r": self.r_score, "f": self.f_score}


def _score(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and int(raw) in SCORES else None


@dataclass(slots=True, frozen=True)
class Member:
    customer: Customer
    value: str
    scores: dict[str, Any]


@dataclass(slots=True, frozen=True)
class MemberPage:
    rows: list[Member]
    next_after: int | None


def members(session: Session, shop_id: int, selection: Selection, after: int | None = None,
            limit: int = PAGE_SIZE) -> MemberPage:
    """One page of the selection's customers, by customer id, after the id ``after``."""
    query = (select(Customer, CustomerLabel.value, CustomerLabel.scores)
             .join(CustomerLabel, CustomerLabel.customer_id == Customer.id)
             .where(mine(shop_id)))
    if selection.value is not None:
        query = query.where(CustomerLabel.value == selection.value)
    else:
        query = query.where(score("r_score") == selection.r_score, score("f_score") == selection.f_score)
    if after is not None:
        query = query.where(CustomerLabel.customer_id > after)
    found = session.execute(query.order_by(CustomerLabel.customer_id).limit(limit + 1)).all()
    rows = [Member(customer, value, dict(scores or {})) for customer, value, scores in found[:limit]]
    return MemberPage(rows, rows[-1].customer.id if len(found) > limit else None)


__all__ = ["Member", "MemberPage", "PAGE_SIZE", "Selection", "members"]
