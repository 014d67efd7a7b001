"""Labels segmenters give customers (RFM class, life stage, tier ...)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopcrm.models.base import Base, created_at_column


FILLFACTOR = 80
"""How full PostgreSQL fills a page of ``customer_label`` (percent): the rest is room for new
versions of its rows (migration 0015)."""


class CustomerLabel(Base):
    """One segmenter's label for one customer; a segmenter rewrites its own rows set-based.

    Labels are derived data, rewritten for a whole shop by every full run, so the table is kept
    narrow: keyed by (customer, segmenter), without a surrogate id, and without foreign keys.
    On PostgreSQL a foreign key checks each written row on its own and takes a share lock on the
    customer it names, which writes to every customer row on every run (about 9 of the 15 s of
    writing a million labels). Segmenters write labels only from the ``customer`` table in the
    same transaction, every reader joins ``customer``, and a full run deletes the labels of the
    shop's customers it no longer scores.

    On PostgreSQL its pages are filled to :data:`FILLFACTOR` percent: a run over the customers an
    import touched then rewrites a label whose value stays in place on its own page (a HOT
    update), without new entries in the table's two indexes.
    """

    __tablename__ = "customer_label"
    __table_args__ = (Index("ix_customer_label_shop_segmenter_value", "shop_id", "segmenter", "value"),
                      {"postgresql_with": {"fillfactor": FILLFACTOR}})

    customer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    segmenter: Mapped[str] = mapped_column(String(40), primary_key=True)
    shop_id: Mapped[int]
    value: Mapped[str] = mapped_column(String(60))
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[dt.datetime] = created_at_column()


class LabelRun(Base):
    """One run of one segmenter over a shop (all its customers, or those an import touched).

    ``counts`` is how many customers hold each value after the run (over the whole shop);
    ``moves`` is ``[[before, after, customers], ...]`` for the customers whose value changed in
    this run, ``None`` standing for "no label". Pages show the distribution and the movement
    since the last run from here, without scanning the labels again.
    """

    __tablename__ = "label_run"
    __table_args__ = (Index("ix_label_run_shop_segmenter", "shop_id", "segmenter", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    segmenter: Mapped[str] = mapped_column(String(40))
    full: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(20), default="finished")
    """``finished`` or ``failed``."""
    customers: Mapped[int] = mapped_column(default=0)
    """Customers (re)labelled by this run."""
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    moves: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    started_at: Mapped[dt.datetime] = created_at_column()
