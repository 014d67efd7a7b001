"""The life-stage settings form: the posted days turned into the segmenter's config, or clear
errors by field; :func:`shopcrm_lifecycle.stages.check_config` has the last word."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from flask_babel import gettext as _

from shopcrm_lifecycle.stages import DEFAULTS, ConfigError, check_config

FIELDS = tuple(DEFAULTS)
"""``new_days``, ``active_days``, ``sleep_days``."""


@dataclass(slots=True)
class SettingsForm:
    fields: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    config: dict[str, int] | None = None


def from_config(config: Mapping[str, Any]) -> SettingsForm:
    cfg = check_config(config)
    return SettingsForm({name: str(cfg[name]) for name in FIELDS})


def parse(posted: Mapping[str, str]) -> SettingsForm:
    """Read the posted form; ``config`` is set only when every field is right."""
    form = SettingsForm({name: (posted.get(name) or "").strip()[:20] for name in FIELDS})
    values: dict[str, int] = {}
    for name in FIELDS:
        text = form.fields[name]
        if not text.isdigit() or not 1 <= int(text) <= 3650:
            form.errors[name] = _("Enter a whole number of days from 1 to 3650.")
        else:
            values[name] = int(text)
    if not form.errors and values["sleep_days"] <= values["active_days"]:
        form.errors["sleep_days"] = _("Sleeping must last longer than active: more days than %(days)s.",
                                      days=values["active_days"])
    if form.errors:
        return form
    try:
        form.config = check_config(values)
    except ConfigError as exc:
        form.errors["form"] = _("These settings cannot be used: %(reason)s", reason=str(exc))
    return form


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{key: [before, after]}`` for every setting that changed, for the audit log."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


__all__ = ["FIELDS", "SettingsForm", "changes", "from_config", "parse"]
