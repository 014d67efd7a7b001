"""The RFM page's figures, aggregated in SQL from the ``rfm`` labels' ``scores``.

Every figure is one ``GROUP BY`` over the shop's ``customer_label`` rows of the ``rfm``
segmenter (index ``(shop_id, segmenter, value)``), reading ``r``, ``m``, ``r_score`` and
``f_score`` out of the ``scores`` JSON in SQL (``json_extract`` on SQLite, ``->>`` on
PostgreSQL, through SQLAlchemy's JSON indexing): nothing is loaded per customer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from shopcrm.models import CustomerLabel

NAME = "rfm"
SCORES = range(1, 6)


def score(key: str) -> ColumnElement[int]:
    """An integer score (``r_score``, ``f_score`` ...) read from the label's ``scores`` JSON."""
    return CustomerLabel.scores[key].as_integer()


def amount(key: str) -> ColumnElement[float]:
    """A number (``r`` days, ``m`` yuan) read from the label's ``scores`` JSON."""
    return CustomerLabel.scores[key].as_float()


def mine(shop_id: int) -> ColumnElement[bool]:
    """The shop's RFM labels."""
    return and_(CustomerLabel.shop_id == shop_id, CustomerLabel.segmenter == NAME)


@dataclass(slots=True, frozen=True)
class Cell:
    """One cell of the R×F grid: customers with this R score and F score."""

    r_score: int
    f_score: int
    customers: int
    average_spend: float | None
    heat: int
    """0 (empty) to 10 (the fullest cell), for the colour."""


@dataclass(slots=True, frozen=True)
class Grid:
    """The R×F grid: ``rows`` from R 5 (most recent) down to 1, each with F 1 to 5."""

    rows: list[list[Cell]]
    customers: int


def grid(session: Session, shop_id: int) -> Grid:
    """Customers and average spend (M) per R score and F score, in one aggregate query."""
    r_score, f_score = score("r_score"), score("f_score")
    found: dict[tuple[int, int], tuple[int, float | None]] = {}
    for r, f, count, spend in session.execute(
        select(r_score, f_score, func.count(), func.avg(amount("m")))
        .where(mine(shop_id)).group_by(r_score, f_score)
    ):
        if r in SCORES and f in SCORES:
            found[(int(r), int(f))] = (int(count), None if spend is None else float(spend))
    fullest = max((count for count, _ in found.values()), default=0)
    rows = []
    for r in reversed(SCORES):
        row = []
        for f in SCORES:
            count, spend = found.get((r, f), (0, None))
            row.append(Cell(r, f, count, spend, heat_level(count, fullest)))
        rows.append(row)
    return Grid(rows, sum(count for count, _ in found.values()))


def heat_level(count: int, fullest: int) -> int:
    """0 for an empty cell, else 1–10 by the share of the fullest cell (rounded up)."""
    if count <= 0 or fullest <= 0:
        return 0
    return max(1, min(10, -(-count * 10 // fullest)))


@dataclass(slots=True, frozen=True)
class ClassRow:
    """One class (label value) of the shop's model, with its figures."""

    value: str
    description: str
    customers: int
    share: float
    """Of all customers with an RFM label, 0–1."""
    average_spend: float | None
    average_recency: float | None
    """Days since the last paid order, on average."""


def class_table(session: Session, shop_id: int, classes: Iterable[tuple[str, str]]) -> list[ClassRow]:
    """Count, share, average spend and average recency per class, in one aggregate query.

    ``classes`` are ``(value, description)`` of the shop's model, shown in that order and with
    zeros when empty; values the labels hold that the model does not list (labels left from the
    other model, before a recompute) follow them.
    """
    found: dict[str, tuple[int, float | None, float | None]] = {}
    for value, count, spend, recency in session.execute(
        select(CustomerLabel.value, func.count(), func.avg(amount("m")), func.avg(amount("r")))
        .where(mine(shop_id)).group_by(CustomerLabel.value)
    ):
        found[str(value)] = (int(count), _float(spend), _float(recency))
    total = sum(count for count, _, _ in found.values())
    listed = list(classes)
    known = {value for value, _ in listed}
    listed += [(value, "") for value in sorted(found) if value not in known]
    rows = []
    for value, description in listed:
        count, spend, recency = found.get(value, (0, None, None))
        rows.append(ClassRow(value, description, count, count / total if total else 0.0, spend, recency))
    return rows


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


__all__ = ["Cell", "ClassRow", "Grid", "amount", "class_table", "grid", "heat_level", "mine", "score"]
