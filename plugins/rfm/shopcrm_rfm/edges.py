"""What a full quintile run learnt about the shop, so an incremental run can score alike.

Quintile scores and cn8's "above or below the average" depend on every customer of the shop.
A full run records, per shop, the lowest F and M (and the highest R) that earned each score of 2
to 5, and the averages of R, F and M. A run over a few customers (after an import) scores them
against these instead of re-ranking the whole shop: for any value some customer had at the full
run, the score is the one the full run gave; the daily full run refreshes them.

Kept in the ``setting`` table (namespace ``plugin:rfm:edges``, key ``shop:<id>``) with the
settings they were computed under; edges from other settings are not used.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from shopcrm.models import Setting

NAMESPACE = "plugin:rfm:edges"
NEVER = 1e15
"""An edge no value reaches: a score nobody earned at the full run."""


@dataclass(slots=True, frozen=True)
class Edges:
    thresholds: dict[str, list[float]]
    """Like the operator's thresholds: R in days (falling), F and M (rising), for scores 2–5."""
    averages: dict[str, float]

    def as_json(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {"config": _fingerprint(config), "thresholds": self.thresholds, "averages": self.averages}


def _fingerprint(config: Mapping[str, Any]) -> dict[str, Any]:
    return {"window_days": config["window_days"], "scoring": config["scoring"]}


def measure(session: Session, scored: Table) -> Edges:
    """Edges and averages from a table of scored customers (columns r, f, m, rs, fs, ms), in
    one pass over it: for each score of 2 to 5, the highest R and the lowest F and M that
    earned it or better."""
    c = scored.c
    parts = [("r", c.r, c.rs, True), ("f", c.f, c.fs, False), ("m", c.m, c.ms, False)]
    columns = [(func.max(value) if falling else func.min(value)).filter(score >= level)
               for _, value, score, falling in parts for level in (2, 3, 4, 5)]
    row = session.execute(select(*columns, func.avg(c.r), func.avg(c.f), func.avg(c.m))).one()
    thresholds: dict[str, list[float]] = {}
    for n, (key, _, _, falling) in enumerate(parts):
        thresholds[key] = [(-NEVER if falling else NEVER) if v is None else float(v) for v in row[4 * n:4 * n + 4]]
    averages = {key: float(value or 0) for key, value in zip("rfm", row[12:])}
    return Edges(thresholds, averages)


def save(session: Session, shop_id: int, config: Mapping[str, Any], edges: Edges) -> None:
    row = session.scalar(select(Setting).where(Setting.namespace == NAMESPACE, Setting.key == f"shop:{shop_id}"))
    if row is None:
        session.add(Setting(namespace=NAMESPACE, key=f"shop:{shop_id}", value=edges.as_json(config)))
    else:
        row.value = edges.as_json(config)


def load(session: Session, shop_id: int, config: Mapping[str, Any]) -> Edges | None:
    """The last full run's edges, if it ran with the same window and scoring."""
    value = session.scalar(select(Setting.value).where(Setting.namespace == NAMESPACE,
                                                       Setting.key == f"shop:{shop_id}"))
    if not isinstance(value, dict) or value.get("config") != _fingerprint(config):
        return None
    return Edges(value["thresholds"], value["averages"])
