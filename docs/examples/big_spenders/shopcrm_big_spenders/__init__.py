"""A segmenter: big spenders by province.

A paying customer is a ``big_spender`` when they have paid at least ``factor`` times the
average of the paying customers of their own province (a shop's best buyers in a small province
would never stand out against Guangdong's), ``regular`` otherwise; a customer who has not paid
for an order yet is ``none``. Segment rules select them as ``label.big_spenders``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from shopcrm import hookimpl
from shopcrm.db import utcnow
from shopcrm.models import Customer, CustomerLabel
from shopcrm.segments import LabelInfo, Segmenter


class BigSpenders(Segmenter):
    name = "big_spenders"
    label = _l("Big spenders by province")
    defaults = {"factor": 2}

    def labels(self) -> list[LabelInfo]:
        return [
            LabelInfo("big_spender", _l("Paid at least `factor` times their province's average")),
            LabelInfo("regular", _l("Paid less")),
            LabelInfo("none", _l("Has not paid for an order yet")),
        ]

    def compute(self, session: Session, shop_id: int, config: Mapping[str, Any],
                customer_ids: Iterable[int] | None = None) -> int:
        factor = Decimal(str(config.get("factor", 2)))
        province = func.coalesce(Customer.province, "")  # customers without one are a group too
        averages = (
            select(province.label("province"), func.avg(Customer.total_paid).label("average"))
            .where(Customer.shop_id == shop_id, Customer.order_count > 0)  # the whole shop, always
            .group_by(province)
            .subquery()
        )
        scope = [Customer.shop_id == shop_id]
        if customer_ids is not None:
            scope.append(Customer.id.in_(list(customer_ids)))
        session.execute(delete(CustomerLabel).where(
            CustomerLabel.segmenter == self.name,
            CustomerLabel.customer_id.in_(select(Customer.id).where(*scope)),
        ))
        value = case(
            (Customer.order_count == 0, "none"),
            (Customer.total_paid >= averages.c.average * factor, "big_spender"),
            else_="regular",
        )
        labelled = (
            select(Customer.shop_id, Customer.id, literal(self.name), value, literal({}, JSON),
                   literal(utcnow(), DateTime()))
            .outerjoin(averages, averages.c.province == province)
            .where(*scope)
        )
        result = session.execute(
            insert(CustomerLabel)
            .from_select(["shop_id", "customer_id", "segmenter", "value", "scores", "computed_at"], labelled)
            .execution_options(preserve_rowcount=True)  # else PostgreSQL reports -1
        )
        return result.rowcount


@hookimpl
def register_segmenters() -> list[Segmenter]:
    return [BigSpenders()]
