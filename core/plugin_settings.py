"""Per-shop settings of a plugin, kept as one JSON object in the ``setting`` table.

``load(session, plugin, shop_id, defaults)`` returns the defaults overlaid with what the
operator saved; ``save`` stores only a plugin's own keys. Namespace ``plugin:<name>``, key
``shop:<id>``.
"""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.models import Setting


def _row(session: Session, plugin: str, shop_id: int) -> Setting | None:
    return session.scalar(select(Setting).where(Setting.namespace == f"plugin:{plugin}",
                                                Setting.key == f"shop:{shop_id}"))


def load(session: Session, plugin: str, shop_id: int, defaults: Mapping[str, Any]) -> dict[str, Any]:
    row = _row(session, plugin, shop_id)
    saved = row.value if row is not None and isinstance(row.value, dict) else {}
    return {**defaults, **{k: v for k, v in saved.items() if k in defaults}}


def save(session: Session, plugin: str, shop_id: int, values: Mapping[str, Any]) -> None:
    row = _row(session, plugin, shop_id)
    if row is None:
        session.add(Setting(namespace=f"plugin:{plugin}", key=f"shop:{shop_id}", value=dict(values)))
    else:
        row.value = {**(row.value or {}), **values}
