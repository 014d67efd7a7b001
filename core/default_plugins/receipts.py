"""Delivery receipts: a channel's ``delivered`` or ``failed`` report moves its outbox message.

Any channel reporting a :class:`~shopcrm.channels.MessageEvent` of kind ``delivered`` or
``failed`` (by the message's id, or by the gateway's id and the number, as Aliyun's batch
receipts do) gets this: the message goes from ``sent`` (or ``sending``, when the receipt beats the
send's own record) to ``delivered`` or ``failed`` with the gateway's error code. A receipt
reported twice changes nothing the second time.
"""
from __future__ import annotations

from shopcrm import hookimpl
from shopcrm.channels import MessageEvent
from shopcrm.config import active_config
from shopcrm.db import session_scope
from shopcrm.outbox import apply_receipt


@hookimpl
def on_message_event(event: MessageEvent) -> None:
    if event.kind in ("delivered", "failed"):
        with session_scope(active_config()) as session:
            apply_receipt(session, event)
