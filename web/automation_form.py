"""An automation's settings as the automations page posts them, checked field by field.

The fields: ``delay`` (a duration such as ``30m``, ``6h``, ``2d``), ``channel`` (a registered
channel), ``template_text`` (``${var}`` placeholders of registered variables only: an unknown
one is refused with a message naming it), ``subject`` (for email channels, checked the same
way; empty: the channel's default subject), ``night`` (``defer`` or ``send``) and one
``option_<name>`` per option of the trigger's own (e.g. ``option_days``). Each problem is
reported in the user's language against its field; :mod:`shopcrm.automation_store` checks
everything again when saving.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from shopcrm import template_store
from shopcrm.automation_changes import AutomationSettings
from shopcrm.automation_store import MAX_DELAY, NIGHT_CHOICES, AutomationState, trigger_named
from shopcrm.durations import format_duration, parse_duration
from shopcrm.registry import get_registry

NIGHT_LABELS = {
    "defer": _l("Wait for the morning (quiet hours end)"),
    "send": _l("Send at night too"),
}
"""What each ``night`` choice means, as the page shows it."""
assert set(NIGHT_LABELS) == set(NIGHT_CHOICES), "every night choice needs a label"
OPTION_PREFIX = "option_"


@dataclass(slots=True)
class AutomationForm:
    """The values shown in an automation's form, and the problems found with posted ones."""

    delay: str
    channel: str
    template_text: str
    night: str
    options: dict[str, str]
    subject: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_state(cls, current: AutomationState) -> "AutomationForm":
        """The form as saved (the trigger's defaults for one never switched on, whose channel
        is left for the operator to choose: no gateway is picked for them)."""
        return cls(delay=format_duration(current.delay), channel=current.channel or "",
                   template_text=current.template_text, subject=current.subject,
                   night=str(current.options.get("night", "defer")),
                   options={name: _shown(current.options.get(name, default))
                            for name, default in own_options(current.trigger).items()})

    @classmethod
    def from_post(cls, current: AutomationState, posted: Mapping[str, str]) -> "AutomationForm":
        return cls(delay=(posted.get("delay") or "").strip(), channel=(posted.get("channel") or "").strip(),
                   template_text=(posted.get("template_text") or "").strip(),
                   subject=(posted.get("subject") or "").strip(),
                   night=(posted.get("night") or "").strip(),
                   options={name: (posted.get(OPTION_PREFIX + name) or "").strip()
                            for name in own_options(current.trigger)})

    @property
    def fields(self) -> list[str]:
        """The names of the fields the form shows (an error about another goes above them)."""
        return ["delay", "channel", "subject", "template_text", "night",
                *(OPTION_PREFIX + name for name in self.options)]

    def settings(self, trigger: str) -> AutomationSettings | None:
        """The settings to save, or ``None`` with :attr:`errors` filled."""
        self.errors = {}
        delay = self._delay()
        if self.channel not in get_registry().channels.items:
            self.errors["channel"] = _("Choose the channel that sends these messages.")
        problem = template_store.text_error(self.template_text, get_registry().template_variables.items)
        if problem:
            self.errors["template_text"] = problem
        problem = template_store.subject_error(self.subject, get_registry().template_variables.items)
        if problem:
            self.errors["subject"] = problem
        if self.night not in NIGHT_CHOICES:
            self.errors["night"] = _("Choose what happens to messages due at night.")
        options: dict[str, Any] = {"night": self.night}
        for name, default in own_options(trigger).items():
            value = self._option(name, default)
            if value is not None:
                options[name] = value
        if self.errors or delay is None:
            return None
        return AutomationSettings(delay=delay, channel=self.channel, template_text=self.template_text,
                                  options=options, subject=self.subject)

    def _delay(self) -> dt.timedelta | None:
        try:
            delay = parse_duration(self.delay)
        except ValueError:
            self.errors["delay"] = _("Write the delay as a duration, e.g. 0, 30m, 6h, 2d or 1h30m.")
            return None
        if delay > MAX_DELAY:
            self.errors["delay"] = _("The delay may be at most %(days)s days.", days=MAX_DELAY.days)
            return None
        return delay

    def _option(self, name: str, default: Any) -> Any:
        value = self.options.get(name, "")
        if isinstance(default, bool):
            return value.lower() in ("1", "true", "on", "yes")
        if isinstance(default, int):
            if not value.isdigit() or int(value) < 1:
                self.errors[OPTION_PREFIX + name] = _("Enter a whole number, 1 or more.")
                return None
            return int(value)
        return value


def own_options(trigger: str) -> dict[str, Any]:
    """The trigger's own options with their defaults (the engine's, such as ``night``, apart)."""
    return dict(trigger_named(trigger).default_options)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


__all__ = ["AutomationForm", "NIGHT_LABELS", "OPTION_PREFIX", "own_options"]
