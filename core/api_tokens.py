"""Per-shop API tokens. Only a SHA-256 of each token is stored; the token is shown once."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.models import ApiToken

PREFIX = "scrm_"
LAST_USED_STEP = dt.timedelta(minutes=1)
"""How stale a token's noted last use may get: a system posting orders many times a second
writes (and commits) the token row once a minute, not on every request."""


@dataclass(slots=True, frozen=True)
class NewToken:
    id: int
    token: str
    """The secret itself: show it once, it cannot be read back."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, shop_id: int, name: str, created_by: int | None = None) -> NewToken:
    name = name.strip()
    if not name:
        raise ValueError("a token needs a name (what system uses it)")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(shop_id=shop_id, name=name[:100], prefix=token[: len(PREFIX) + 6], token_hash=_hash(token),
                   created_by=created_by)
    session.add(row)
    session.flush()
    return NewToken(row.id, token)


def verify_token(session: Session, token: str) -> ApiToken | None:
    """The live token row for ``token``, its last use noted (to the minute, see
    :data:`LAST_USED_STEP`); ``None`` if unknown or revoked."""
    if not token.startswith(PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        row.last_used_at = now
    return row


def revoke_token(session: Session, token_id: int, shop_id: int) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or row.shop_id != shop_id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True
