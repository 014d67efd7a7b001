"""Running the segmenters: every registered segmenter labels a shop's customers.

A full run relabels every customer (on demand from a page or ``shopcrm labels refresh``, and
daily); an incremental run relabels only the customers whose orders or profile changed since a
moment (after an import). Each segmenter runs in its own transaction and is recorded as a
:class:`~shopcrm.models.LabelRun`: the count of customers per value afterwards and the moves
(``before → after``) of the customers it relabelled, so pages show a distribution and the
movement since the last run without scanning the labels. A segmenter that fails is recorded as
failed and the others still run.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import Column, Integer, MetaData, String, Table, and_, func, insert, literal, select, text, union
from sqlalchemy.orm import Session

from shopcrm.config import Config
from shopcrm.db import session_scope, utcnow
from shopcrm.jobs import Progress, enqueue, job
from shopcrm.models import Customer, CustomerLabel, JobRun, LabelRun, Order
from shopcrm.registry import get_registry
from shopcrm.schedule import daily
from shopcrm.segments import Segmenter
from shopcrm.sql import id_list, in_ids

log = logging.getLogger(__name__)

COALESCE_WITHIN = dt.timedelta(hours=1)
"""How far back :func:`relabel_changed` looks for a queued run to join."""

BEFORE = Table("label_before", MetaData(), Column("customer_id", Integer), Column("value", String(60)),
               prefixes=["TEMPORARY"])
"""The segmenter's labels as they were before the run (a temporary table of the transaction's
connection)."""


@dataclass(slots=True)
class RunOutcome:
    segmenter: str
    status: str
    customers: int
    seconds: float
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "customers": self.customers, "seconds": round(self.seconds, 3),
                "error": self.error}


def segmenters(names: Iterable[str] | None = None) -> list[Segmenter]:
    """The registered segmenters, or those named (an unknown name is an error naming the known)."""
    registered = get_registry().segmenters.items
    if names is None:
        return [registered[name] for name in sorted(registered)]
    wanted = list(names)
    unknown = [name for name in wanted if name not in registered]
    if unknown:
        raise LookupError(f"no segmenter {', '.join(unknown)} (known: {', '.join(sorted(registered)) or 'none'})")
    return [registered[name] for name in wanted]


def touched_customers(session: Session, shop_id: int, since: dt.datetime) -> list[int]:
    """Customers of the shop whose profile or orders changed at or after ``since``."""
    changed = union(
        select(Customer.id.label("id")).where(Customer.shop_id == shop_id, Customer.updated_at >= since),
        select(Order.customer_id.label("id")).where(Order.shop_id == shop_id, Order.updated_at >= since,
                                                    Order.customer_id.is_not(None)),
    ).subquery()
    return list(session.scalars(select(changed.c.id).order_by(changed.c.id)))


def run_segmenter(session: Session, segmenter: Segmenter, shop_id: int,
                  customer_ids: Sequence[int] | None = None) -> LabelRun:
    """Run one segmenter in ``session``'s transaction and record it; the caller commits."""
    dialect = session.get_bind().dialect.name
    if customer_ids is not None:  # sorted and encoded once, for this run's statements and the segmenter's
        customer_ids = id_list(customer_ids)
    mine = and_(CustomerLabel.shop_id == shop_id, CustomerLabel.segmenter == segmenter.name)
    scope = mine if customer_ids is None else and_(mine, in_ids(CustomerLabel.customer_id, customer_ids, dialect))
    started = time.perf_counter()
    _snapshot(session, scope)
    config = segmenter.load_config(session, shop_id)
    labelled = segmenter.compute(session, shop_id, config, customer_ids=customer_ids)
    moves = _moves(session, scope)
    BEFORE.drop(session.connection())
    counts = dict(session.execute(
        select(CustomerLabel.value, func.count()).where(mine).group_by(CustomerLabel.value)
    ).all())
    run = LabelRun(shop_id=shop_id, segmenter=segmenter.name, full=customer_ids is None, status="finished",
                   customers=int(labelled), counts={str(k): int(v) for k, v in counts.items()}, moves=moves,
                   seconds=round(time.perf_counter() - started, 3))
    session.add(run)
    session.flush()
    return run


def _snapshot(session: Session, scope: Any) -> None:
    session.execute(text(f"DROP TABLE IF EXISTS {BEFORE.name}"))  # left by a run that failed
    BEFORE.create(session.connection())
    session.execute(insert(BEFORE).from_select(
        ["customer_id", "value"], select(CustomerLabel.customer_id, CustomerLabel.value).where(scope)))


def _moves(session: Session, scope: Any) -> list[list[Any]]:
    """``[before, after, customers]`` for every change, ``None`` for "no label"."""
    before = BEFORE.alias("b")
    after = select(CustomerLabel.customer_id, CustomerLabel.value).where(scope).subquery("a")
    changed = select(before.c.value, after.c.value, func.count()).select_from(
        before.outerjoin(after, after.c.customer_id == before.c.customer_id)
    ).where((after.c.value.is_(None)) | (after.c.value != before.c.value)).group_by(before.c.value, after.c.value)
    added = select(literal(None, String), after.c.value, func.count()).select_from(
        after.outerjoin(before, before.c.customer_id == after.c.customer_id)
    ).where(before.c.customer_id.is_(None)).group_by(after.c.value)
    rows = [*session.execute(changed).all(), *session.execute(added).all()]
    return sorted(([b, a, int(n)] for b, a, n in rows), key=lambda m: (-m[2], str(m[0]), str(m[1])))


def run_all(config: Config, shop_id: int, names: Iterable[str] | None = None,
            customer_ids: Sequence[int] | None = None,
            progress: Progress | None = None) -> dict[str, RunOutcome]:
    """Run the segmenters (all, or ``names``) for the shop, each in its own transaction."""
    chosen = segmenters(names)
    if customer_ids is not None:  # one list for every segmenter's run
        customer_ids = id_list(customer_ids)
    outcomes: dict[str, RunOutcome] = {}
    if progress is not None:
        progress.update(done=0, total=len(chosen), message="", force=True)
    for segmenter in chosen:
        if progress is not None:
            progress.update(message=segmenter.name, force=True)
        started = time.perf_counter()
        try:
            with session_scope(config) as session:
                run = run_segmenter(session, segmenter, shop_id, customer_ids)
                outcomes[segmenter.name] = RunOutcome(segmenter.name, run.status, run.customers, run.seconds)
        except Exception as exc:  # one plugin's failure must not stop the others
            log.exception("segmenter %s failed for shop %s", segmenter.name, shop_id)
            seconds = time.perf_counter() - started
            error = f"{type(exc).__name__}: {exc}"
            with session_scope(config) as session:
                session.add(LabelRun(shop_id=shop_id, segmenter=segmenter.name, full=customer_ids is None,
                                     status="failed", error=error[:2000], seconds=round(seconds, 3)))
            outcomes[segmenter.name] = RunOutcome(segmenter.name, "failed", 0, seconds, error)
        if progress is not None:
            progress.advance()
    return outcomes


def last_runs(session: Session, shop_id: int, segmenter: str, limit: int = 2,
              full_only: bool = False) -> list[LabelRun]:
    """The segmenter's latest finished runs for the shop, newest first."""
    query = select(LabelRun).where(LabelRun.shop_id == shop_id, LabelRun.segmenter == segmenter,
                                   LabelRun.status == "finished")
    if full_only:
        query = query.where(LabelRun.full.is_(True))
    return list(session.scalars(query.order_by(LabelRun.id.desc()).limit(limit)))


def moves_since(session: Session, shop_id: int, segmenter: str, since_run_id: int) -> dict[tuple[Any, Any], int]:
    """Customers moved between values by every run after ``since_run_id``, netted per pair."""
    totals: dict[tuple[Any, Any], int] = {}
    runs = session.scalars(select(LabelRun.moves).where(
        LabelRun.shop_id == shop_id, LabelRun.segmenter == segmenter, LabelRun.status == "finished",
        LabelRun.id > since_run_id))
    for moves in runs:
        for before, after, customers in moves or []:
            totals[(before, after)] = totals.get((before, after), 0) + int(customers)
    return totals


def relabel_changed(config: Config, shop_id: int, since: dt.datetime, wait: bool = False,
                    defer: dt.timedelta | None = None) -> int | None:
    """Queue relabelling the shop's customers changed since ``since`` (after an import, an API
    call); return the job run id, or ``None`` when a run still queued will cover them already
    (it looks for changes when it starts, from an earlier moment), so a stream of API calls
    does not queue a run each. ``defer`` starts the run that much later (on RQ), so that the
    calls of the meantime join it: one run for them all, however many workers are idle."""
    if not wait:
        with session_scope(config) as session:
            queued = session.scalars(select(JobRun.args).where(
                JobRun.kind == "labels.refresh", JobRun.created_at >= utcnow() - COALESCE_WITHIN,
                JobRun.status == "queued")).all()
        for args in queued:
            if (args.get("shop_id") == shop_id and not args.get("segmenters") and args.get("since")
                    and dt.datetime.fromisoformat(args["since"]) <= since):
                return None
    return enqueue("labels.refresh", config, wait=wait, defer=None if wait else defer, shop_id=shop_id,
                   since=since.isoformat())


@job("labels.refresh")
def refresh_labels(progress: Progress, shop_id: int, segmenters: list[str] | None = None,
                   since: str | None = None) -> dict[str, Any]:
    """Relabel the shop's customers: all of them, or (``since``, an ISO time) those changed since."""
    customer_ids = None
    if since is not None:
        with session_scope(progress.config) as session:
            customer_ids = touched_customers(session, shop_id, dt.datetime.fromisoformat(since))
        if not customer_ids:
            progress.update(done=0, total=0, message="nothing changed", force=True)
            return {"customers": 0, "segmenters": {}}
    outcomes = run_all(progress.config, shop_id, segmenters, customer_ids, progress)
    progress.update(message="done", force=True)
    return {"customers": None if customer_ids is None else len(customer_ids),
            "segmenters": {name: outcome.as_dict() for name, outcome in outcomes.items()}}


daily("labels.refresh", hour=3)

__all__ = ["LabelRun", "RunOutcome", "last_runs", "moves_since", "refresh_labels", "relabel_changed", "run_all",
           "run_segmenter", "segmenters", "touched_customers"]
