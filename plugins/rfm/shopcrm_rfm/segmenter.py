"""The RFM segmenter: recency, frequency and monetary value, scored and labelled in SQL.

* R: whole days since the customer's last paid order (any time);
* F: paid orders in the window (default 365 days); M: amount paid less refunded in the window.
  Closed and refunded orders do not count; customers without a paid order get no RFM label.
* Scores 1–5, by quintile (``percent_rank``: 5 for the best fifth; equal values always share a
  score, so ties at a quintile edge never split) or by the operator's thresholds.
* ``cn8``: R, F and M each against its average (or a split score the operator sets) give the
  eight classes; ``en11``: the R score and the FM score (F and M scores averaged, rounded half
  up) give the eleven segments.

One ``INSERT … SELECT`` writes every label; a run limited to some customers still scores them
against the whole shop, so an incremental run and a full run agree.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

from sqlalchemy import and_, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Customer, CustomerLabel, Order
from shopcrm.segments import LabelInfo, Segmenter
from shopcrm.sources import PAID_STATUSES
from shopcrm.sql import in_ids, json_object, whole_days_since
from shopcrm_rfm.classes import CN8, labels

NAME = "rfm"
DEFAULTS: dict[str, Any] = {
    "model": "cn8",
    "window_days": 365,
    "scoring": "quintile",
    "thresholds": {"r": [180, 90, 30, 7], "f": [2, 3, 5, 8], "m": [100, 300, 800, 2000]},
    "cn8_split": "average",
}
"""``thresholds``: R in days (score 5 at or under the last), F orders and M yuan (score 5 at or
over the last). ``cn8_split``: ``"average"`` or ``{"r": 3, "f": 3, "m": 3}`` (a score at or over
the split counts as high)."""
_PAID = [status.value for status in PAID_STATUSES]


class ConfigError(ValueError):
    pass


def check_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with defaults filled in; a clear error for anything out of range."""
    merged = {**DEFAULTS, **config}
    if merged["model"] not in ("cn8", "en11"):
        raise ConfigError(f"model must be cn8 or en11, not {merged['model']!r}")
    if not isinstance(merged["window_days"], int) or not 1 <= merged["window_days"] <= 3650:
        raise ConfigError("window_days must be a whole number of days from 1 to 3650")
    if merged["scoring"] not in ("quintile", "thresholds"):
        raise ConfigError(f"scoring must be quintile or thresholds, not {merged['scoring']!r}")
    thresholds = merged["thresholds"]
    for key in ("r", "f", "m"):
        values = thresholds.get(key) if isinstance(thresholds, Mapping) else None
        if not isinstance(values, list) or len(values) != 4 or not all(isinstance(v, (int, float)) for v in values):
            raise ConfigError(f"thresholds.{key} must be four numbers")
        ordered = sorted(values, reverse=(key == "r"))
        if values != ordered:
            raise ConfigError(f"thresholds.{key} must be in order ({'falling' if key == 'r' else 'rising'})")
    split = merged["cn8_split"]
    if split != "average" and not (isinstance(split, Mapping) and all(
            isinstance(split.get(k), int) and 1 <= split[k] <= 5 for k in ("r", "f", "m"))):
        raise ConfigError('cn8_split must be "average" or scores 1–5 for r, f and m')
    return merged


def _quintile(percent_rank: Any) -> Any:
    return case((percent_rank >= 0.8, 5), (percent_rank >= 0.6, 4), (percent_rank >= 0.4, 3),
                (percent_rank >= 0.2, 2), else_=1)


def _by_thresholds(value: Any, limits: list[float], falling: bool) -> Any:
    hits = [case(((value <= limit) if falling else (value >= limit), 1), else_=0) for limit in limits]
    return 1 + hits[0] + hits[1] + hits[2] + hits[3]


class RfmSegmenter(Segmenter):
    name = NAME
    label = "RFM"
    defaults = DEFAULTS

    def labels(self) -> Iterable[LabelInfo]:
        """Both models' values: a shop may use either."""
        return labels("cn8") + labels("en11")

    def compute(self, session: Session, shop_id: int, config: Mapping[str, Any],
                customer_ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> int:
        cfg = check_config(config)
        now = now or utcnow()
        dialect = session.get_bind().dialect.name
        start = now - dt.timedelta(days=cfg["window_days"])

        when = func.coalesce(Order.paid_at, Order.created_at)
        window = (
            select(Order.customer_id, func.count().label("f"),
                   func.sum(Order.paid_amount - Order.refund_amount).label("m"))
            .where(Order.shop_id == shop_id, Order.status.in_(_PAID), when >= start)
            .group_by(Order.customer_id)
            .subquery("w")
        )
        base = (
            select(Customer.id.label("cid"),
                   whole_days_since(now, Customer.last_order_at, dialect).label("r"),
                   func.coalesce(window.c.f, 0).label("f"),
                   func.coalesce(window.c.m, 0).label("m"))
            .select_from(Customer)
            .outerjoin(window, window.c.customer_id == Customer.id)
            .where(Customer.shop_id == shop_id, Customer.last_order_at.is_not(None))
            .cte("base")
        )
        if cfg["scoring"] == "quintile":
            ranked = select(
                base,
                func.percent_rank().over(order_by=base.c.r.desc()).label("pr_r"),
                func.percent_rank().over(order_by=base.c.f).label("pr_f"),
                func.percent_rank().over(order_by=base.c.m).label("pr_m"),
            ).cte("ranked")
            scored = select(ranked.c.cid, ranked.c.r, ranked.c.f, ranked.c.m,
                            _quintile(ranked.c.pr_r).label("rs"), _quintile(ranked.c.pr_f).label("fs"),
                            _quintile(ranked.c.pr_m).label("ms")).cte("scored")
        else:
            t = cfg["thresholds"]
            scored = select(base.c.cid, base.c.r, base.c.f, base.c.m,
                            _by_thresholds(base.c.r, t["r"], True).label("rs"),
                            _by_thresholds(base.c.f, t["f"], False).label("fs"),
                            _by_thresholds(base.c.m, t["m"], False).label("ms")).cte("scored")

        fm = (scored.c.fs + scored.c.ms + 1) // 2  # floor division on both databases
        if cfg["model"] == "cn8":
            if cfg["cn8_split"] == "average":
                averages = select(func.avg(base.c.r).label("r"), func.avg(base.c.f).label("f"),
                                  func.avg(base.c.m).label("m")).cte("averages")
                recent, frequent, spends = (scored.c.r <= averages.c.r, scored.c.f >= averages.c.f,
                                            scored.c.m >= averages.c.m)
            else:
                split = cfg["cn8_split"]
                averages = None
                recent, frequent, spends = (scored.c.rs >= split["r"], scored.c.fs >= split["f"],
                                            scored.c.ms >= split["m"])
            value = case(*[(and_(recent == r, frequent == f, spends == m), literal(label))
                           for label, r, f, m, _ in CN8])
        else:
            averages = None
            value = _en11_case(scored.c.rs, fm)

        scores = json_object(dialect, r=scored.c.r, f=scored.c.f, m=scored.c.m, r_score=scored.c.rs,
                             f_score=scored.c.fs, m_score=scored.c.ms, fm_score=fm)
        rows = select(literal(shop_id), scored.c.cid, literal(NAME), value, scores, literal(now)).select_from(scored)
        if averages is not None:
            rows = rows.join(averages, literal(True))
        mine = and_(CustomerLabel.shop_id == shop_id, CustomerLabel.segmenter == NAME)
        if customer_ids is not None:
            ids = list(customer_ids)
            rows = rows.where(in_ids(scored.c.cid, ids, dialect))
            mine = and_(mine, in_ids(CustomerLabel.customer_id, ids, dialect))
        session.execute(delete(CustomerLabel).where(mine), execution_options={"synchronize_session": False})
        session.execute(insert(CustomerLabel).from_select(
            ["shop_id", "customer_id", "segmenter", "value", "scores", "computed_at"], rows))
        # sqlite3 reports no row count for INSERT ... WITH ... SELECT: count what was written.
        return int(session.scalar(select(func.count()).select_from(CustomerLabel).where(mine)) or 0)


def _en11_case(r: Any, fm: Any) -> Any:
    return case(
        (and_(r == 1, fm <= 2), "Lost"),
        (and_(r == 2, fm <= 2), "Hibernating"),
        (and_(r <= 2, fm == 5), "Can't Lose Them"),
        (r <= 2, "At Risk"),
        (and_(r == 3, fm <= 2), "About To Sleep"),
        (and_(r == 3, fm == 3), "Need Attention"),
        (r == 3, "Loyal Customers"),
        (and_(r == 5, fm == 1), "New Customers"),
        (fm == 1, "Promising"),
        (fm <= 3, "Potential Loyalist"),
        (r == 5, "Champions"),
        else_="Loyal Customers",
    )


__all__ = ["DEFAULTS", "ConfigError", "RfmSegmenter", "check_config"]

