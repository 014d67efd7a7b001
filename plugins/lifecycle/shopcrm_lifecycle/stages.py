"""Life stages from the order rollups, labelled in one ``INSERT … SELECT``.

* 潜在: no paid order yet;
* 新客: first paid order within ``new_days`` (default 30);
* 活跃: last paid order within ``active_days`` (default 30; shops with slow repurchase lengthen it);
* 沉睡: last paid order within ``sleep_days`` (default 90);
* 流失: longer ago.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import Customer, CustomerLabel
from shopcrm.segments import LabelInfo, Segmenter
from shopcrm.sql import in_ids, json_object, upsert_from_select

NAME = "lifecycle"
STAGES: tuple[tuple[str, str], ...] = (
    ("潜在", "No paid order yet"),
    ("新客", "First paid order within the new-customer days"),
    ("活跃", "Last paid order within the active days"),
    ("沉睡", "Last paid order within the sleeping days"),
    ("流失", "Last paid order longer ago than the sleeping days"),
)
DEFAULTS: dict[str, Any] = {"new_days": 30, "active_days": 30, "sleep_days": 90}


class ConfigError(ValueError):
    pass


def check_config(config: Mapping[str, Any]) -> dict[str, int]:
    merged = {**DEFAULTS, **config}
    for key in DEFAULTS:
        value = merged[key]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3650:
            raise ConfigError(f"{key} must be a whole number of days from 1 to 3650")
    if merged["sleep_days"] <= merged["active_days"]:
        raise ConfigError("sleep_days must be longer than active_days")
    return merged


class LifecycleSegmenter(Segmenter):
    name = NAME
    label = "Life stage"
    defaults = DEFAULTS

    def labels(self) -> Iterable[LabelInfo]:
        return [LabelInfo(value, description) for value, description in STAGES]

    def compute(self, session: Session, shop_id: int, config: Mapping[str, Any],
                customer_ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> int:
        cfg = check_config(config)
        now = now or utcnow()
        dialect = session.get_bind().dialect.name

        def since(days: int) -> dt.datetime:
            return now - dt.timedelta(days=days)

        stage = case(
            (Customer.last_order_at.is_(None), "潜在"),
            (Customer.first_order_at >= since(cfg["new_days"]), "新客"),
            (Customer.last_order_at >= since(cfg["active_days"]), "活跃"),
            (Customer.last_order_at >= since(cfg["sleep_days"]), "沉睡"),
            else_="流失",
        )
        rows = select(literal(shop_id), Customer.id, literal(NAME), stage,
                      json_object(dialect, first_order_at=Customer.first_order_at,
                                  last_order_at=Customer.last_order_at),
                      literal(now)).where(Customer.shop_id == shop_id)
        mine = and_(CustomerLabel.shop_id == shop_id, CustomerLabel.segmenter == NAME)
        if customer_ids is not None:
            ids = list(customer_ids)
            rows = rows.where(in_ids(Customer.id, ids, dialect))
            mine = and_(mine, in_ids(CustomerLabel.customer_id, ids, dialect))
        # An upsert, not delete-then-insert: two runs at once (an import's and the API's) each
        # leave every customer one label instead of clashing on the unique key.
        session.execute(upsert_from_select(
            dialect, CustomerLabel.__table__, ["shop_id", "customer_id", "segmenter", "value", "scores", "computed_at"],
            rows, conflict=["customer_id", "segmenter"], update=["value", "scores", "computed_at"]))
        return int(session.scalar(select(func.count()).select_from(CustomerLabel).where(mine)) or 0)
