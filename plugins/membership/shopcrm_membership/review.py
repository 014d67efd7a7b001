"""Bringing a shop's membership up to date in full: points for every order, then every tier.

Used by the review job and the ``shopcrm membership review`` command; the order events keep
the same things current one order at a time (:mod:`shopcrm_membership.events`).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm_membership.rules import load_rules
from shopcrm_membership.tiers import TierSegmenter


def review_shop(session: Session, shop_id: int, now: dt.datetime | None = None) -> dict[str, int | bool]:
    """Earn and reverse points for every order that needs it, then recompute every tier,
    lowering tiers only when the shop has switched downgrades on (the tier run settles the
    points first). Set-based throughout."""
    now = now or utcnow()
    rules = load_rules(session, shop_id)
    labelled = TierSegmenter().compute(session, shop_id, {}, now=now, downgrade=rules.downgrade_enabled,
                                       rules=rules)
    return {"customers": labelled, "downgrades": rules.downgrade_enabled}
