"""Per-shop settings of a plugin, kept as one JSON object in the ``setting`` table.

``load(session, plugin, shop_id, defaults)`` returns the defaults overlaid with what the
operator saved; ``save`` stores only a plugin's own keys; ``save_changes`` saves what a settings
page changed, audited. Namespace ``plugin:<name>``, key ``shop:<id>``.
"""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm import audit
from shopcrm.models import Setting, User


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


def save_changes(session: Session, plugin: str, shop_id: int, values: Mapping[str, Any],
                 changed: Mapping[str, Any], user: User | None, ip: str | None) -> bool:
    """Save ``values`` when ``changed`` (each setting that changed, as the page found it) is not
    empty, audited as ``settings.<plugin>`` with the changes; returns whether it saved."""
    if not changed:
        return False
    save(session, plugin, shop_id, values)
    audit.record(session, f"settings.{plugin}", user=user, target=f"shop:{shop_id}", details=dict(changed), ip=ip)
    return True
