"""Raising the sandbox's receipts and replies as message events, as a real gateway's would be."""
from __future__ import annotations

from typing import Iterable

from shopcrm.channels import MessageEvent
from shopcrm.plugins import call_each


def raise_events(events: Iterable[MessageEvent]) -> int:
    """Call every plugin's ``on_message_event`` for each event; returns how many were raised."""
    count = 0
    for event in events:
        for _plugin, _result in call_each("on_message_event", event=event):
            pass
        count += 1
    return count
