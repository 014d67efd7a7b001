"""Job kinds: the full review of a shop and the expiry of lapsed points."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from shopcrm.db import session_scope
from shopcrm.jobs import Progress, job
from shopcrm.schedule import daily
from shopcrm_membership import points
from shopcrm_membership.review import review_shop

REVIEW = "membership.review"
EXPIRE = "membership.expire_points"


@job(REVIEW, label=_l("Review membership tiers"))
def review(progress: Progress, shop_id: int) -> dict[str, Any]:
    """Bring points and tiers of one shop up to date (downgrades only when switched on)."""
    progress.update(done=0, total=1, message="reviewing tiers", force=True)
    with session_scope(progress.config) as session:
        result = review_shop(session, shop_id)
    progress.advance(message="done")
    return result


@job(EXPIRE, label=_l("Expire lapsed points"))
def expire(progress: Progress, shop_id: int) -> dict[str, Any]:
    """Write expiry entries for points that have lapsed in one shop."""
    progress.update(done=0, total=1, message="expiring points", force=True)
    with session_scope(progress.config) as session:
        customers = points.expire_points(session, shop_id)
    progress.advance(message="done")
    return {"customers": customers}


daily(REVIEW, hour=4)
daily(EXPIRE, hour=4)
