"""The rules every send of a shop obeys, and the shop's own choices within them.

* **Frequency cap**: at most ``frequency_cap`` marketing messages per customer in
  ``frequency_days`` days (default 2 in 7); notifications (order notices) are exempt.
* **Quiet hours**: marketing is not sent from ``quiet_start`` to ``quiet_end`` o'clock shop time
  (default 21 to 8); it is deferred to the end of the quiet hours, never dropped.
* **Blacklist**: when ``blacklist_bad_reviews`` is on, customers who left a bad review get no
  marketing.
* **Low responders**: when ``low_responders`` is on, customers sent ``low_responder_messages``
  marketing messages in the last 90 days without buying since are left out.
* **Attribution**: a recipient who pays for an order within ``attribution_days`` days of the send
  counts as a buyer of that message.
* **Opt-out text**: what marketing messages end with (拒收请回复R).

Kept as one JSON object in the ``setting`` table (namespace ``sending``, key ``shop:<id>``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.message_templates import OPT_OUT_TEXT
from shopcrm.models import Setting, Shop

NAMESPACE = "sending"
LOW_RESPONDER_DAYS = 90


@dataclass(slots=True, frozen=True)
class SendingPolicy:
    frequency_cap: int = 2
    frequency_days: int = 7
    quiet_start: int = 21
    quiet_end: int = 8
    blacklist_bad_reviews: bool = False
    low_responders: bool = False
    low_responder_messages: int = 3
    attribution_days: int = 7
    opt_out_text: str = OPT_OUT_TEXT

    def errors(self) -> list[str]:
        """What is wrong with these values, each naming its field."""
        found = []
        if self.frequency_cap < 0:
            found.append("frequency_cap: must be 0 (no cap) or more")
        if not 1 <= self.frequency_days <= 365:
            found.append("frequency_days: must be 1 to 365")
        for name in ("quiet_start", "quiet_end"):
            if not 0 <= getattr(self, name) <= 23:
                found.append(f"{name}: must be an hour from 0 to 23")
        if self.low_responder_messages < 1:
            found.append("low_responder_messages: must be 1 or more")
        if not 1 <= self.attribution_days <= 90:
            found.append("attribution_days: must be 1 to 90")
        if not self.opt_out_text.strip():
            found.append(f"opt_out_text: marketing must say how to opt out (e.g. {OPT_OUT_TEXT})")
        return found


FIELDS = {f.name: f for f in dataclasses.fields(SendingPolicy)}


def _coerce(name: str, value: Any) -> Any:
    kind = FIELDS[name].type
    if kind in ("bool", bool):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "on", "yes")
        return bool(value)
    if kind in ("int", int):
        try:
            return int(str(value).strip())
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not a whole number") from None
    return str(value)


def load(session: Session, shop_id: int) -> SendingPolicy:
    """The shop's policy: the defaults overlaid with what it saved."""
    saved = session.scalar(select(Setting.value).where(Setting.namespace == NAMESPACE,
                                                       Setting.key == f"shop:{shop_id}"))
    values = {k: v for k, v in (saved or {}).items() if k in FIELDS} if isinstance(saved, dict) else {}
    return SendingPolicy(**values)


def save(session: Session, shop_id: int, values: Mapping[str, Any]) -> tuple[SendingPolicy, list[str]]:
    """Check and store ``values`` (only known fields); nothing is stored when any is wrong."""
    errors: list[str] = []
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name not in FIELDS:
            errors.append(f"{name}: not a sending setting (settings: {', '.join(FIELDS)})")
            continue
        try:
            changes[name] = _coerce(name, value)
        except ValueError as exc:
            errors.append(str(exc))
    policy = dataclasses.replace(load(session, shop_id), **changes)
    errors += policy.errors()
    if errors:
        return load(session, shop_id), errors
    row = session.scalar(select(Setting).where(Setting.namespace == NAMESPACE, Setting.key == f"shop:{shop_id}"))
    stored = dataclasses.asdict(policy)
    if row is None:
        session.add(Setting(namespace=NAMESPACE, key=f"shop:{shop_id}", value=stored))
    else:
        row.value = stored
    session.flush()
    return policy, []


def quiet_until(policy: SendingPolicy, timezone: str, now: dt.datetime) -> dt.datetime | None:
    """When the quiet hours around ``now`` (naive UTC) end, as naive UTC; ``None`` outside them."""
    if policy.quiet_start == policy.quiet_end:
        return None
    zone = ZoneInfo(timezone)
    local = now.replace(tzinfo=dt.timezone.utc).astimezone(zone)
    start, end = policy.quiet_start, policy.quiet_end
    inside = (start <= local.hour or local.hour < end) if start > end else (start <= local.hour < end)
    if not inside:
        return None
    day = local.date() if local.hour < end else local.date() + dt.timedelta(days=1)
    wake = dt.datetime.combine(day, dt.time(end), tzinfo=zone)
    return wake.astimezone(dt.timezone.utc).replace(tzinfo=None)


def shop_quiet_until(session: Session, shop_id: int, now: dt.datetime) -> dt.datetime | None:
    """:func:`quiet_until` for a shop with its own policy and clock."""
    timezone = session.scalar(select(Shop.timezone).where(Shop.id == shop_id)) or "Asia/Shanghai"
    return quiet_until(load(session, shop_id), timezone, now)


__all__ = ["LOW_RESPONDER_DAYS", "SendingPolicy", "load", "quiet_until", "save", "shop_quiet_until"]
