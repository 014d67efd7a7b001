"""Default plugin: order events, from every data path, handed to the automation engine.

Whatever raises ``on_order_event`` (a file import, the API, a plugin following parcels that
raises ``order.arrived``), the shop's automations listening to that kind get it; history
(events older than an automation's switch-on or freshness window) costs no query. The events
of an ingested batch are fired together, in one transaction (:mod:`shopcrm.event_batch`). See
:mod:`shopcrm.automations`.
"""
from __future__ import annotations

from shopcrm import hookimpl
from shopcrm.automations import fire_order_events, may_fire
from shopcrm.event_batch import handle
from shopcrm.sources import OrderEvent


@hookimpl
def on_order_event(event: OrderEvent) -> None:
    if may_fire(event):
        handle(fire_order_events, event)
