"""Shops: the default shop every install starts with."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.models import Shop

DEFAULT_SHOP_NAME = "我的店铺"


def default_shop(session: Session) -> Shop:
    """The first shop, created (named :data:`DEFAULT_SHOP_NAME`) when there is none."""
    shop = session.scalar(select(Shop).order_by(Shop.id).limit(1))
    if shop is None:
        shop = Shop(name=DEFAULT_SHOP_NAME, sms_signature="")
        session.add(shop)
        session.flush()
    return shop


def find_shop(session: Session, name: str | None) -> Shop:
    """The shop named ``name``, or the default shop when no name is given."""
    if name is None:
        return default_shop(session)
    shop = session.scalar(select(Shop).where(Shop.name == name))
    if shop is None:
        known = ", ".join(session.scalars(select(Shop.name).order_by(Shop.name))) or "none"
        raise LookupError(f"no shop named {name!r} (shops: {known})")
    return shop
