"""The RFM page's figures, aggregated in SQL from the ``rfm`` labels' ``scores``.

Both the grid and the class table come from one ``GROUP BY`` over the shop's ``customer_label``
rows of the ``rfm`` segmenter (index ``(shop_id, segmenter, value)``), reading ``r``, ``m``,
``r_score`` and ``f_score`` out of the ``scores`` JSON in SQL (``json_extract`` on SQLite,
``->>`` on PostgreSQL, through SQLAlchemy's JSON indexing): nothing is loaded per customer, and
the result (at most classes × 25 rows) is kept until the next full RFM run, or for a few
minutes while only incremental runs follow (:func:`cached_groups`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from shopcrm.models import CustomerLabel, LabelRun

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
class Group:
    """Customers sharing a class, an R score and an F score, with their summed R and M."""

    value: str
    r_score: int | None
    f_score: int | None
    customers: int
    total_spend: float
    total_recency: float


def groups(session: Session, shop_id: int) -> list[Group]:
    """The one aggregate query both the grid and the class table are made from: at most
    (classes × 25) rows, however many customers the shop has."""
    r_score, f_score = score("r_score"), score("f_score")
    rows = session.execute(
        select(CustomerLabel.value, r_score, f_score, func.count(),
               func.coalesce(func.sum(amount("m")), 0), func.coalesce(func.sum(amount("r")), 0))
        .where(mine(shop_id)).group_by(CustomerLabel.value, r_score, f_score)
    )
    return [Group(str(value), None if r is None else int(r), None if f is None else int(f), int(count),
                  float(spend), float(recency)) for value, r, f, count, spend, recency in rows]


_CACHE: dict[tuple[str, int, int, str], tuple[float, int, list[Group]]] = {}
_CACHE_SIZE = 32
STALE_AFTER = 300.0
"""Seconds the figures are kept while only incremental runs (after imports and API calls) follow."""


def cached_groups(session: Session, shop_id: int, now: float | None = None) -> list[Group]:
    """:func:`groups`, kept per database, shop and latest full RFM run.

    Labels change only in a segmenter run, and every run adds a ``label_run`` row. A full run
    (daily, or "Recompute now") makes the figures new at once. Runs over the customers an
    import or an API call touched come often and move few customers: after one, the figures
    are read again once they are :data:`STALE_AFTER` seconds old, so a page view usually costs
    one indexed look-up instead of a pass over every label.
    """
    runs = select(LabelRun.id, LabelRun.started_at).where(
        LabelRun.shop_id == shop_id, LabelRun.segmenter == NAME).order_by(LabelRun.id.desc()).limit(1)
    latest = session.execute(runs).first()
    if latest is None:
        return groups(session, shop_id)
    full = session.execute(runs.where(LabelRun.full.is_(True))).first()
    # The start time keeps a database emptied and refilled (ids starting again) apart.
    key = (str(session.get_bind().url), shop_id, int(full.id) if full else 0,
           full.started_at.isoformat() if full else "")
    now = time.monotonic() if now is None else now
    found = _CACHE.get(key)
    if found is not None:
        read_at, run_id, kept = found
        if run_id == latest.id or now - read_at < STALE_AFTER:
            return kept
    kept = groups(session, shop_id)
    if key not in _CACHE and len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (now, int(latest.id), kept)
    return kept


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


def grid(found_groups: Iterable[Group]) -> Grid:
    """Customers and average spend (M) per R score and F score."""
    found: dict[tuple[int, int], list[float]] = {}
    for group in found_groups:
        if group.r_score in SCORES and group.f_score in SCORES:
            cell = found.setdefault((group.r_score, group.f_score), [0, 0.0])
            cell[0] += group.customers
            cell[1] += group.total_spend
    fullest = int(max((count for count, _ in found.values()), default=0))
    rows = []
    for r in reversed(SCORES):
        row = []
        for f in SCORES:
            count, spend = found.get((r, f), (0, 0.0))
            row.append(Cell(r, f, int(count), spend / count if count else None, heat_level(int(count), fullest)))
        rows.append(row)
    return Grid(rows, int(sum(count for count, _ in found.values())))


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


def class_table(found_groups: Iterable[Group], classes: Iterable[tuple[str, str]]) -> list[ClassRow]:
    """Count, share, average spend and average recency per class.

    ``classes`` are ``(value, description)`` of the shop's model, shown in that order and with
    zeros when empty; values the labels hold that the model does not list (labels left from the
    other model, before a recompute) follow them.
    """
    found: dict[str, list[float]] = {}
    for group in found_groups:
        sums = found.setdefault(group.value, [0, 0.0, 0.0])
        sums[0] += group.customers
        sums[1] += group.total_spend
        sums[2] += group.total_recency
    total = sum(sums[0] for sums in found.values())
    listed = list(classes)
    known = {value for value, _ in listed}
    listed += [(value, "") for value in sorted(found) if value not in known]
    rows = []
    for value, description in listed:
        count, spend, recency = found.get(value, (0, 0.0, 0.0))
        rows.append(ClassRow(value, description, int(count), count / total if total else 0.0,
                             spend / count if count else None, recency / count if count else None))
    return rows


__all__ = ["Cell", "ClassRow", "Grid", "Group", "amount", "cached_groups", "class_table", "grid", "groups", "heat_level",
           "mine", "score"]
