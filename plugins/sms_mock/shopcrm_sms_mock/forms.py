"""The sandbox pages' forms; the settings themselves are checked by :func:`behaviour.parse`."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from shopcrm_sms_mock.behaviour import Behaviour
from shopcrm_sms_mock.replies import MAX_REPLY


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class SettingsForm(FlaskForm):
    """How the sandbox behaves; plain text inputs, so every mistake gets one clear message."""

    delay_seconds = StringField(_l("Delivery receipt after … seconds"), filters=[_strip])
    transient_percent = StringField(_l("Transient errors, answered “retry” (%)"), filters=[_strip])
    permanent_percent = StringField(_l("Permanent errors, answered “rejected” (%)"), filters=[_strip])
    unknown_percent = StringField(_l("Timeouts, answered “unknown” (%)"), filters=[_strip])
    failed_percent = StringField(_l("Receipts that say “failed” (%)"), filters=[_strip])
    limit_per_minute = StringField(_l("Messages per number per minute (0: no limit)"), filters=[_strip])
    limit_per_hour = StringField(_l("Messages per number per hour (0: no limit)"), filters=[_strip])
    limit_per_day = StringField(_l("Messages per number per day (0: no limit)"), filters=[_strip])
    seed = StringField(_l("Seed of the simulated outcomes"), filters=[_strip], validators=[Length(max=64)])

    def values(self) -> dict[str, Any]:
        """What was typed, keyed like :class:`Behaviour` (blank fields keep their defaults)."""
        return {name: self[name].data for name in Behaviour.__dataclass_fields__ if self[name].data}

    def fill(self, behaviour: Behaviour) -> None:
        for name, value in behaviour.as_settings().items():
            self[name].data = f"{value:g}" if isinstance(value, float) else str(value)


class ReplyForm(FlaskForm):
    """A text sent back from a sandbox phone."""

    text = StringField(_l("Reply"), filters=[_strip], validators=[Length(max=MAX_REPLY)])
