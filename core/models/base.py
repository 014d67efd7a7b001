"""The declarative base, with constraint names that are the same on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, Numeric
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shopcrm.db import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(14, 2)
"""Amounts in yuan with two decimals."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: DateTime(),
        Decimal: Money,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


def created_at_column() -> Mapped[dt.datetime]:
    return mapped_column(default=utcnow, nullable=False)


def updated_at_column() -> Mapped[dt.datetime]:
    return mapped_column(default=utcnow, onupdate=utcnow, nullable=False)
