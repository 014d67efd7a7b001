"""SQL building blocks of the membership statements, on SQLite and PostgreSQL.

The statements are built once per shape and cached (see :func:`functools.lru_cache` in the
modules using these), with every value a bound parameter, so that an order event costs a few
executions of already compiled SQL rather than building the statements anew each time.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam

from shopcrm.sql import IDS, ids_value, in_ids_param, upsert_from_select

__all__ = ["IDS", "ids_value", "in_ids_param", "shop_is", "upsert_from_select"]


def shop_is(column: Any, scoped: bool) -> ColumnElement[bool]:
    """``column = :shop_id``; for statements scoped to a few ids, written so that the
    database looks rows up by those ids instead of reading the whole shop through an index
    on the shop (SQLite would otherwise prefer that index)."""
    return (column + 0 if scoped else column) == bindparam("shop_id", type_=Integer)
