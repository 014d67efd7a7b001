"""The core's own job kinds."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from shopcrm.db import session_scope
from shopcrm.jobs.progress import Progress
from shopcrm.jobs.registry import job
from shopcrm.models import Customer
from shopcrm.rollups import BATCH, refresh


@job("rollups.refresh")
def refresh_rollups(progress: Progress, shop_id: int) -> dict[str, Any]:
    """Recompute every customer's rollups of one shop, in batches, reporting progress."""
    with session_scope(progress.config) as session:
        total = session.scalar(select(func.count()).where(Customer.shop_id == shop_id)) or 0
    progress.update(done=0, total=total, message="refreshing customer rollups", force=True)
    last_id = 0
    while True:
        with session_scope(progress.config) as session:
            ids = list(
                session.scalars(
                    select(Customer.id)
                    .where(Customer.shop_id == shop_id, Customer.id > last_id)
                    .order_by(Customer.id)
                    .limit(BATCH)
                )
            )
            if not ids:
                break
            refresh(session, ids)
        last_id = ids[-1]
        progress.advance(len(ids))
    progress.update(message="done", force=True)
    return {"customers": total}
