"""The RFM settings form: the posted text turned into the segmenter's config, or clear errors.

Each field is checked here with a message the operator can act on (in their language);
:func:`shopcrm_rfm.segmenter.check_config` then has the last word, so the page can never save
a config the segmenter would refuse.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from flask_babel import gettext as _

from shopcrm_rfm.segmenter import ConfigError, check_config

LIMITS = ("r", "f", "m")
SPLIT_KEYS = ("split_r", "split_f", "split_m")


@dataclass(slots=True)
class SettingsForm:
    """What the form shows: the values as typed (``fields``) and the errors by field."""

    fields: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] | None = None
    """The checked config, when there is no error."""


def limit_names(key: str) -> list[str]:
    """The four form fields of one measure's limits: ``r1`` … ``r4``."""
    return [f"{key}{i}" for i in range(1, 5)]


def from_config(config: Mapping[str, Any]) -> SettingsForm:
    """The form filled in from a saved (or default) config."""
    cfg = check_config(config)
    fields = {"model": cfg["model"], "window_days": str(cfg["window_days"]), "scoring": cfg["scoring"],
              "cn8_split": "average" if cfg["cn8_split"] == "average" else "scores"}
    for key in LIMITS:
        for name, value in zip(limit_names(key), cfg["thresholds"][key]):
            fields[name] = _number_text(value)
    split = cfg["cn8_split"] if isinstance(cfg["cn8_split"], Mapping) else {"r": 3, "f": 3, "m": 3}
    for key in LIMITS:
        fields[f"split_{key}"] = str(split[key])
    return SettingsForm(fields)


def _number_text(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def parse(posted: Mapping[str, str]) -> SettingsForm:
    """Read the posted form; ``config`` is set only when every field is right."""
    names = ["model", "window_days", "scoring", "cn8_split", *SPLIT_KEYS,
             *(name for key in LIMITS for name in limit_names(key))]
    form = SettingsForm({name: (posted.get(name) or "").strip()[:40] for name in names})
    fields, errors = form.fields, form.errors
    if fields["model"] not in ("cn8", "en11"):
        errors["model"] = _("Choose the eight Chinese classes or the eleven English segments.")
    window = _whole(fields["window_days"])
    if window is None or not 1 <= window <= 3650:
        errors["window_days"] = _("The window must be a whole number of days from 1 to 3650.")
    if fields["scoring"] not in ("quintile", "thresholds"):
        errors["scoring"] = _("Choose quintiles or your own limits.")
    thresholds = {key: _limits(fields, key, errors) for key in LIMITS}
    split: Any = "average"
    if fields["cn8_split"] == "scores":
        split = {}
        for key in LIMITS:
            value = _whole(fields[f"split_{key}"])
            if value is None or not 1 <= value <= 5:
                errors[f"split_{key}"] = _("A split score is a whole number from 1 to 5.")
            split[key] = value
    elif fields["cn8_split"] != "average":
        errors["cn8_split"] = _("Split by the averages or by scores.")
    if errors:
        return form
    values = {"model": fields["model"], "window_days": window, "scoring": fields["scoring"],
              "thresholds": thresholds, "cn8_split": split}
    try:
        form.config = check_config(values)
    except ConfigError as exc:
        errors["form"] = _("These settings cannot be used: %(reason)s", reason=str(exc))
    return form


def _whole(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _limits(fields: dict[str, str], key: str, errors: dict[str, str]) -> list[float | int]:
    """The four limits of one measure; an error on the measure's first field when wrong."""
    values: list[float | int] = []
    for name in limit_names(key):
        try:
            number = float(fields[name])
        except ValueError:
            errors[f"{key}1"] = _limit_message(key, "number")
            return []
        if number < 0 or not math.isfinite(number):
            errors[f"{key}1"] = _limit_message(key, "number")
            return []
        values.append(int(number) if number.is_integer() else number)
    if values != sorted(values, reverse=(key == "r")):
        errors[f"{key}1"] = _limit_message(key, "order")
    return values


def _limit_message(key: str, problem: str) -> str:
    if problem == "number":
        return {
            "r": _("The four recency limits must be numbers of days, none negative."),
            "f": _("The four frequency limits must be numbers of orders, none negative."),
            "m": _("The four spend limits must be amounts in yuan, none negative."),
        }[key]
    return {
        "r": _("Recency limits go from the most days to the fewest (e.g. 180, 90, 30, 7)."),
        "f": _("Frequency limits go from the fewest orders to the most (e.g. 2, 3, 5, 8)."),
        "m": _("Spend limits go from the smallest amount to the largest (e.g. 100, 300, 800, 2000)."),
    }[key]


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{key: [before, after]}`` for every setting that changed, for the audit log."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


__all__ = ["SettingsForm", "changes", "from_config", "limit_names", "parse"]
