"""The audit log: who did what, for log-ins and admin actions."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from shopcrm.models import AuditLog, User


def record(
    session: Session,
    action: str,
    user: User | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
    username: str | None = None,
) -> AuditLog:
    """Add an audit entry to ``session`` (committed with the action it records)."""
    entry = AuditLog(
        action=action,
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else username,
        target=target,
        details=details or {},
        ip=ip,
    )
    session.add(entry)
    return entry
