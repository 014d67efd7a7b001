"""Switching a shop's automations on, off and changing them on someone's behalf, audited.

The pages call these rather than :mod:`shopcrm.automation_store` directly: each change is written
to the audit log (``automation.enable`` when it went from off to on, ``automation.update`` when it
was on and changed, ``automation.disable``) with what it was set to, in the same transaction. The
store checks every field; its :class:`~shopcrm.automation_store.AutomationError` passes through
and nothing is written (the caller rolls back).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from shopcrm import audit
from shopcrm.automation_store import AutomationState, disable, enable, state
from shopcrm.durations import format_duration
from shopcrm.models import User


@dataclass(slots=True, frozen=True)
class AutomationSettings:
    """What an operator sets for an automation when switching it on or changing it."""

    delay: dt.timedelta
    channel: str
    template_text: str
    options: dict[str, Any] = field(default_factory=dict)
    subject: str = ""
    """For email channels ("": the channel's default subject)."""


def _details(made: AutomationState) -> dict[str, Any]:
    return {"trigger": made.trigger, "automation_id": made.automation_id, "delay": format_duration(made.delay),
            "channel": made.channel, "template_text": made.template_text, "subject": made.subject,
            "options": made.options}


def switch_on(session: Session, shop_id: int, name: str, settings: AutomationSettings, *, actor: User,
              ip: str | None = None) -> AutomationState:
    """Switch trigger ``name`` on with ``settings`` (or change it while it is on); audited."""
    was_on = state(session, shop_id, name).enabled
    made = enable(session, shop_id, name, delay=settings.delay, channel=settings.channel,
                  template_text=settings.template_text, options=settings.options, subject=settings.subject)
    audit.record(session, "automation.update" if was_on else "automation.enable", user=actor,
                 target=f"automation:{name}", details=_details(made), ip=ip)
    return made


def switch_off(session: Session, shop_id: int, name: str, *, actor: User, ip: str | None = None) -> AutomationState:
    """Switch trigger ``name`` off (its unsent messages are cancelled); audited when it was on."""
    was_on = state(session, shop_id, name).enabled
    made = disable(session, shop_id, name)
    if was_on:
        audit.record(session, "automation.disable", user=actor, target=f"automation:{name}",
                     details={"trigger": name, "automation_id": made.automation_id}, ip=ip)
    return made


__all__ = ["AutomationSettings", "switch_off", "switch_on"]
