"""The shop's own alert phone: where alerts meant for the shopkeeper go (a bad review, say).

A trigger target with ``to_shopkeeper`` is messaged at this number, not the customer's. Kept in
the ``setting`` table (namespace ``alerts``, key ``shop:<id>``) as ``{"phone": "138..."}``;
no number set means such alerts are written ``skipped`` as ``invalid_number``.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.mobiles import normalise_mobile
from shopcrm.models import Setting

NAMESPACE = "alerts"


def _key(shop_id: int) -> str:
    return f"shop:{shop_id}"


def alert_phone(session: Session, shop_id: int) -> str | None:
    """The shop's alert phone, normalised, or ``None`` when none is set."""
    saved = session.scalar(select(Setting.value).where(Setting.namespace == NAMESPACE, Setting.key == _key(shop_id)))
    return saved.get("phone") if isinstance(saved, dict) else None


def set_alert_phone(session: Session, shop_id: int, phone: str | None) -> str | None:
    """Set (or, with ``None`` or blank, clear) the alert phone; :class:`ValueError` naming the
    field for a number that is not a valid mainland mobile."""
    number = None
    if phone and phone.strip():
        number, valid = normalise_mobile(phone)
        if not valid:
            raise ValueError(f"alert_phone: {phone!r} is not a valid mainland mobile number")
    row = session.scalar(select(Setting).where(Setting.namespace == NAMESPACE, Setting.key == _key(shop_id)))
    if row is None:
        session.add(Setting(namespace=NAMESPACE, key=_key(shop_id), value={"phone": number}))
    else:
        row.value = {"phone": number}
    session.flush()
    return number


__all__ = ["alert_phone", "set_alert_phone"]
