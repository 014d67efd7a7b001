"""The shop's own settings: its name and the SMS signature every message carries.

The signature is stored without brackets: the core wraps it as 【signature】 when it sends, so
brackets typed by the user would be doubled. Carriers accept 2 to 12 characters.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm import audit
from shopcrm.models import Shop, User

NAME_MAX = 100
SIGNATURE_MIN = 2
SIGNATURE_MAX = 12
SIGNATURE_BRACKETS = "【】"


def signature_preview(signature: str) -> str:
    """The signature as it appears in a message."""
    return f"【{signature}】" if signature else ""


def name_taken(session: Session, shop: Shop, name: str) -> bool:
    """True when another shop already has ``name`` (shop names are unique)."""
    found = session.scalar(select(Shop.id).where(Shop.name == name, Shop.id != shop.id))
    return found is not None


def update_shop(session: Session, actor: User, shop: Shop, name: str, signature: str,
                ip: str | None) -> dict[str, Any]:
    """Save the name and signature; audit what changed. Returns ``{field: [old, new]}``."""
    changes: dict[str, Any] = {}
    if shop.name != name:
        changes["name"] = [shop.name, name]
        shop.name = name
    if shop.sms_signature != signature:
        changes["sms_signature"] = [shop.sms_signature, signature]
        shop.sms_signature = signature
    if changes:
        audit.record(session, "settings.shop", user=actor, target=f"shop:{shop.id}",
                     details=changes, ip=ip)
    return changes
