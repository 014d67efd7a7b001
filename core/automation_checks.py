"""What an automation's message must pass when it is about to be sent, and when it may go.

The outbox (:func:`shopcrm.outbox.send_due`) asks :func:`hold` about every claimed batch:

* **still applies**: the trigger's ``still_applies(session, target)`` is asked again, the
  target rebuilt from the row (customer and order). A message that no longer applies (the
  order was paid meanwhile, it has been signed already ...) ends ``skipped`` as
  ``no_longer_applies``; so does the message of an automation switched off, or whose trigger is
  gone (its plugin removed). A trigger that raises is logged and its message is not sent: a care
  message wrongly sent cannot be taken back.
* **night**: an automation's notifications are held in the shop's quiet hours until they end,
  unless its option ``night`` is ``send``. (Marketing, automations' included, is always held:
  the outbox does that for every marketing message.)

:func:`night_until` is the same decision for a moment, used when the message is written.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.models import Automation, Customer, Message, Order, Shop
from shopcrm.registry import get_registry
from shopcrm.sending_policy import SendingPolicy, quiet_until
from shopcrm.sending_policy import load as load_policy
from shopcrm.sql import in_ids
from shopcrm.triggers import TriggerTarget

log = logging.getLogger(__name__)


def night_until(policy: SendingPolicy, timezone: str, options: Mapping[str, Any], marketing: bool,
                moment: dt.datetime) -> dt.datetime | None:
    """When a message due at ``moment`` may go, if it must wait for the quiet hours to end;
    ``None`` when it may go then. Marketing always waits; notifications unless ``night`` is ``send``."""
    if not marketing and options.get("night") == "send":
        return None
    return quiet_until(policy, timezone, moment)


def hold(session: Session, shop_id: int, rows: Sequence[Any], now: dt.datetime) -> dict[int, dt.datetime | None]:
    """For claimed outbox ``rows`` of one shop (anything with ``id``, ``campaign_id`` and
    ``is_marketing``): ``{row id: None}`` for automation messages that no longer apply, and
    ``{row id: moment}`` for notifications to hold until the quiet hours end. Rows not named go."""
    candidates = {row.id: row for row in rows if row.campaign_id is None}
    if not candidates:
        return {}
    dialect = session.get_bind().dialect.name
    found = session.execute(select(Message.id, Message.automation_id, Message.customer_id, Message.order_id)
                            .where(in_ids(Message.id, candidates, dialect), Message.automation_id.is_not(None))).all()
    if not found:
        return {}
    automations = {a.id: a for a in session.scalars(select(Automation).where(
        in_ids(Automation.id, {row.automation_id for row in found}, dialect)))}
    # Loaded once for the batch: the triggers' session.get() then costs no query (held while checking).
    loaded = [*session.scalars(select(Order).where(in_ids(Order.id, {r.order_id for r in found if r.order_id}, dialect))),
              *session.scalars(select(Customer).where(in_ids(Customer.id, {r.customer_id for r in found if r.customer_id},
                                                                  dialect)))]
    triggers = get_registry().triggers.items
    quiet: dt.datetime | None = None
    if any(not candidates[r.id].is_marketing and (automations[r.automation_id].options or {}).get("night") != "send"
           for r in found if r.automation_id in automations):
        timezone = session.scalar(select(Shop.timezone).where(Shop.id == shop_id)) or "Asia/Shanghai"
        quiet = night_until(load_policy(session, shop_id), timezone, {}, False, now)
    held: dict[int, dt.datetime | None] = {}
    for message_id, automation_id, customer_id, order_id in found:
        automation = automations.get(automation_id)
        trigger = triggers.get(automation.trigger) if automation is not None and automation.enabled else None
        if trigger is None or not _applies(session, trigger, TriggerTarget(customer_id or 0, order_id)):
            held[message_id] = None
        elif (quiet is not None and not candidates[message_id].is_marketing
              and (automation.options or {}).get("night") != "send"):
            held[message_id] = quiet
    del loaded
    return held


def _applies(session: Session, trigger: Any, target: TriggerTarget) -> bool:
    try:
        return bool(trigger.still_applies(session, target))
    except Exception:
        log.exception("trigger %r failed in still_applies; its message is not sent", trigger.name)
        return False


__all__ = ["hold", "night_until"]
