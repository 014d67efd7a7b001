"""Automations: triggers switched on per shop, each with its delay, channel, template and options.

An ``automation`` row per shop and trigger. Switching one on (:func:`enable`) checks every field
and names the one that is wrong (:class:`AutomationError`); ``enabled_at`` is set when it goes
from off to on, and events older than that fire nothing, so history imported later never
messages anyone. Switching it off (:func:`disable`) also skips its messages still waiting to be
sent (as ``cancelled``). :func:`states` lists every registered trigger, switched on or not.

Options every automation has (:data:`ENGINE_OPTIONS`), beside the trigger's own
(:attr:`~shopcrm.triggers.Trigger.default_options`):

* ``night``: ``defer`` (default) holds its notifications in the shop's quiet hours until they
  end; ``send`` sends them at night too. Marketing is always deferred.
* ``fresh_hours``: events older than this many hours (default 24) fire nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shopcrm.db import utcnow
from shopcrm.durations import format_duration
from shopcrm.message_templates import TemplateError, check
from shopcrm.models import Automation, Message
from shopcrm.registry import get_registry
from shopcrm.template_store import check_subject
from shopcrm.triggers import Trigger

ENGINE_OPTIONS: Mapping[str, Any] = {"night": "defer", "fresh_hours": 24}
"""Options of the engine every automation has, with their defaults."""
NIGHT_CHOICES = ("defer", "send")
MAX_DELAY = dt.timedelta(days=30)
MAX_FRESH_HOURS = 7 * 24


_generation = 0


def generation() -> int:
    """Goes up whenever this process switches an automation on, off or changes it: caches of the
    switched-on automations (:func:`shopcrm.automations.listening`) start again."""
    return _generation


def _changed() -> None:
    global _generation
    _generation += 1


class AutomationError(ValueError):
    """An automation that cannot be saved; the message starts with the field at fault."""


@dataclass(slots=True, frozen=True)
class AutomationState:
    """A registered trigger and the shop's automation of it (defaults when never switched on)."""

    trigger: str
    label: str
    plugin: str
    events: tuple[str, ...]
    marketing: bool
    enabled: bool
    enabled_at: dt.datetime | None
    delay: dt.timedelta
    channel: str | None
    template_text: str
    options: dict[str, Any] = field(default_factory=dict)
    subject: str = ""
    """The subject of its emails ("": the email channel's default subject)."""
    automation_id: int | None = None
    default_delay: dt.timedelta = dt.timedelta(0)
    default_template: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, as ``shopcrm automations list --json`` prints it."""
        return {
            "trigger": self.trigger, "label": str(self.label), "plugin": self.plugin, "events": list(self.events),
            "marketing": self.marketing, "enabled": self.enabled,
            "enabled_at": self.enabled_at.isoformat() if self.enabled_at else None,
            "delay": format_duration(self.delay), "delay_seconds": int(self.delay.total_seconds()),
            "channel": self.channel, "template_text": self.template_text, "subject": self.subject,
            "options": self.options, "automation_id": self.automation_id,
            "default_delay": format_duration(self.default_delay),
        }


def trigger_named(name: str) -> Trigger:
    """The registered trigger ``name``; :class:`AutomationError` listing the known ones."""
    triggers = get_registry().triggers.items
    if name not in triggers:
        raise AutomationError(f"trigger: no trigger named {name!r} (triggers: {', '.join(sorted(triggers)) or 'none'})")
    return triggers[name]


def options_of(trigger: Trigger, automation: Automation | None) -> dict[str, Any]:
    """The engine's and the trigger's defaults overlaid with what the automation saved."""
    defaults = {**ENGINE_OPTIONS, **trigger.default_options}
    saved = (automation.options or {}) if automation is not None else {}
    return {**defaults, **{k: v for k, v in saved.items() if k in defaults}}


def _state(trigger: Trigger, plugin: str, automation: Automation | None) -> AutomationState:
    return AutomationState(
        trigger=trigger.name, label=trigger.label, plugin=plugin, events=tuple(trigger.events),
        marketing=bool(trigger.marketing), enabled=bool(automation and automation.enabled),
        enabled_at=automation.enabled_at if automation else None,
        delay=dt.timedelta(seconds=automation.delay_seconds) if automation else trigger.default_delay,
        channel=automation.channel if automation else None,
        template_text=(automation.template_text if automation and automation.template_text
                       else trigger.default_template),
        options=options_of(trigger, automation), subject=(automation.subject or "") if automation else "",
        automation_id=automation.id if automation else None,
        default_delay=trigger.default_delay, default_template=trigger.default_template,
    )


def _rows(session: Session, shop_id: int) -> dict[str, Automation]:
    return {a.trigger: a for a in session.scalars(select(Automation).where(Automation.shop_id == shop_id))}


def states(session: Session, shop_id: int) -> list[AutomationState]:
    """Every registered trigger with the shop's automation of it, by plugin then name."""
    registry = get_registry().triggers
    rows = _rows(session, shop_id)
    found = [_state(trigger, registry.owners[name], rows.get(name)) for name, trigger in registry.items.items()]
    return sorted(found, key=lambda s: (s.plugin, s.trigger))


def state(session: Session, shop_id: int, name: str) -> AutomationState:
    """One trigger's state in the shop; :class:`AutomationError` for an unknown trigger."""
    trigger = trigger_named(name)
    automation = session.scalar(select(Automation).where(Automation.shop_id == shop_id, Automation.trigger == name))
    return _state(trigger, get_registry().triggers.owners[name], automation)


def _coerce_option(name: str, value: Any, default: Any) -> Any:
    if name == "night":
        if value not in NIGHT_CHOICES:
            raise AutomationError(f"night: must be one of {', '.join(NIGHT_CHOICES)}, not {value!r}")
        return value
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "on", "yes")
        return bool(value)
    if isinstance(default, int):
        try:
            number = int(str(value).strip())
        except ValueError:
            raise AutomationError(f"{name}: {value!r} is not a whole number") from None
        if number < 1 or (name == "fresh_hours" and number > MAX_FRESH_HOURS):
            top = f" to {MAX_FRESH_HOURS}" if name == "fresh_hours" else " or more"
            raise AutomationError(f"{name}: must be 1{top}, not {number}")
        return number
    return str(value)


def _checked_options(trigger: Trigger, current: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    defaults = {**ENGINE_OPTIONS, **trigger.default_options}
    options = {k: v for k, v in current.items() if k in defaults}
    for name, value in given.items():
        if name not in defaults:
            raise AutomationError(f"{name}: not an option of {trigger.name} (options: {', '.join(defaults)})")
        options[name] = _coerce_option(name, value, defaults[name])
    return options


def enable(session: Session, shop_id: int, name: str, delay: dt.timedelta | None = None,
           channel: str | None = None, template_text: str | None = None,
           options: Mapping[str, Any] | None = None, now: dt.datetime | None = None,
           subject: str | None = None) -> AutomationState:
    """Switch trigger ``name`` on for the shop, or change an automation that is on; what is not
    given keeps its saved value (the trigger's default the first time). A channel is needed.
    ``subject`` is for email channels (``""`` clears it: the channel's default subject)."""
    now = now or utcnow()
    trigger = trigger_named(name)
    automation = session.scalar(select(Automation).where(Automation.shop_id == shop_id, Automation.trigger == name))
    if delay is not None and not dt.timedelta(0) <= delay <= MAX_DELAY:
        raise AutomationError(f"delay: must be from 0 to {MAX_DELAY.days} days")
    channels = get_registry().channels.items
    chosen = channel if channel is not None else (automation.channel if automation else None)
    if not chosen:
        raise AutomationError(f"channel: give the channel to send on (channels: {', '.join(channels) or 'none'})")
    if chosen not in channels:
        raise AutomationError(f"channel: no channel named {chosen!r} (channels: {', '.join(channels) or 'none'})")
    text = template_text if template_text is not None else (
        automation.template_text if automation and automation.template_text else trigger.default_template)
    try:
        check(text, get_registry().template_variables.items)
    except TemplateError as exc:
        raise AutomationError(f"template_text: {exc}") from None
    title = (subject if subject is not None else (automation.subject if automation else None) or "").strip()
    try:
        if title:
            check_subject(title, get_registry().template_variables.items)
    except TemplateError as exc:
        raise AutomationError(f"subject: {exc}") from None
    merged = _checked_options(trigger, (automation.options or {}) if automation else {}, options or {})
    if automation is None:
        automation = Automation(shop_id=shop_id, trigger=name, delay_seconds=int(trigger.default_delay.total_seconds()))
        session.add(automation)
    if not automation.enabled:
        automation.enabled, automation.enabled_at = True, now
    if delay is not None:
        automation.delay_seconds = int(delay.total_seconds())
    automation.channel, automation.template_text, automation.options = chosen, text, merged
    automation.subject = title or None
    session.flush()
    _changed()
    return _state(trigger, get_registry().triggers.owners[name], automation)


def disable(session: Session, shop_id: int, name: str) -> AutomationState:
    """Switch trigger ``name`` off for the shop; its messages not sent yet are skipped (``cancelled``)."""
    trigger = trigger_named(name)
    automation = session.scalar(select(Automation).where(Automation.shop_id == shop_id, Automation.trigger == name))
    if automation is not None:
        automation.enabled = False
        session.execute(update(Message).where(Message.automation_id == automation.id, Message.status == "pending")
                        .values(status="skipped", skip_reason="cancelled", updated_at=utcnow()))
        session.flush()
        _changed()
    return _state(trigger, get_registry().triggers.owners[name], automation)


__all__ = ["AutomationError", "AutomationState", "ENGINE_OPTIONS", "MAX_DELAY", "NIGHT_CHOICES", "disable",
           "enable", "generation", "options_of", "state", "states", "trigger_named"]
