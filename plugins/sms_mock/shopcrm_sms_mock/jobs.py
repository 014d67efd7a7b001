"""The job kind ``sms_mock.receipts``: send the delivery receipts that are due."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from shopcrm.db import session_scope, utcnow
from shopcrm.jobs import Progress, job
from shopcrm_sms_mock import behaviour
from shopcrm_sms_mock.events import raise_events
from shopcrm_sms_mock import receipts as settling

RECEIPTS = "sms_mock.receipts"


@job(RECEIPTS, label=_l("Send the sandbox's delivery receipts"))
def receipts(progress: Progress) -> dict[str, Any]:
    """Mark due sandbox messages delivered or failed and raise their events, chunk by chunk
    (each chunk committed before its events are raised, however many messages are due)."""
    chunk = settling.CHUNK
    progress.update(done=0, message="receipts", force=True)
    counts = {"delivered": 0, "failed": 0}
    while True:
        with session_scope(progress.config) as session:
            events = settling.due_receipts(session, behaviour.load(session), utcnow(), limit=chunk)
        raise_events(events)  # after the commit: plugins see the stored outcome
        for event in events:
            counts[event.kind] += 1
        progress.advance(len(events))
        if len(events) < chunk:
            return counts
