"""Replies: a sandbox phone texting back (``TD``, ``退订`` or anything else)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from shopcrm.channels import MessageEvent
from shopcrm_sms_mock.channel import NAME
from shopcrm_sms_mock.models import Reply

MAX_REPLY = 500


def record_reply(session: Session, number: str, text: str, now: dt.datetime,
                 shop_id: int | None = None) -> MessageEvent:
    """Keep the reply and return the ``replied`` event (for ``shop_id``, the shop whose sandbox
    page sent it) to raise once it is committed."""
    text = text.strip()[:MAX_REPLY]
    session.add(Reply(number=number, text=text, at=now))
    session.flush()
    return MessageEvent(kind="replied", channel=NAME, mobile=number, text=text, occurred_at=now, shop_id=shop_id)
