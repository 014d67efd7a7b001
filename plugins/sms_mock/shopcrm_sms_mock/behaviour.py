"""How the sandbox behaves: its settings, and the reproducible draws its decisions rest on.

The settings are one per install (the sandbox stands in for one gateway account), kept as a JSON
object in the ``setting`` table under namespace ``plugin:sms_mock``, key ``install``; the
values a caller passes to the channel (the channel settings of a send) override them key by key.

Every simulated outcome is a :func:`draw` from a hash of the seed, the OutId and what is being
decided, never a random number: the same message under the same settings always gets the same
answer, so tests and repeated trials are deterministic.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.models import Setting

NAMESPACE = "plugin:sms_mock"
KEY = "install"


@dataclass(slots=True, frozen=True)
class Behaviour:
    """The sandbox's settings. Shares are percentages of messages (0 to 100)."""

    delay_seconds: int = 5
    """How long after acceptance a delivery receipt is due."""
    transient_percent: float = 0.0
    """Submissions answered ``retry`` (a transient gateway error: nothing kept)."""
    permanent_percent: float = 0.0
    """Submissions answered ``rejected`` with ``isv.MOBILE_NUMBER_ILLEGAL``."""
    unknown_percent: float = 0.0
    """Submissions answered ``unknown`` (a timeout); about half of them are kept all the same."""
    failed_percent: float = 0.0
    """Accepted messages whose receipt says ``failed`` rather than ``delivered``."""
    limit_per_minute: int = 1
    limit_per_hour: int = 5
    limit_per_day: int = 10
    """Accepted messages one number may get, as Aliyun's business limit; 0 for no limit."""
    seed: str = "shopcrm"
    """Changes every simulated outcome at once."""

    def as_settings(self) -> dict[str, Any]:
        return asdict(self)


DEFAULTS = Behaviour()
PERCENTS = ("transient_percent", "permanent_percent", "unknown_percent", "failed_percent")
WHOLE = ("delay_seconds", "limit_per_minute", "limit_per_hour", "limit_per_day")
SHARES = "error_shares"
"""The ``field`` of a :class:`BehaviourError` about the error shares together."""


class BehaviourError(ValueError):
    """A setting out of range; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse(values: Mapping[str, Any]) -> Behaviour:
    """A :class:`Behaviour` from ``values`` (defaults for keys not given); raises
    :class:`BehaviourError` for a value that is not a number in range."""
    known = {key: values[key] for key in DEFAULTS.as_settings() if key in values and values[key] is not None}
    result: dict[str, Any] = {}
    for key, value in known.items():
        if key in PERCENTS:
            number = _number(key, value, float)
            if not 0 <= number <= 100:
                raise BehaviourError(key, f"{key} must be from 0 to 100")
            result[key] = number
        elif key in WHOLE:
            number = _number(key, value, int)
            if number < 0:
                raise BehaviourError(key, f"{key} must not be negative")
            result[key] = number
        else:
            result[key] = str(value)
    behaviour = Behaviour(**result)
    if behaviour.transient_percent + behaviour.permanent_percent + behaviour.unknown_percent > 100:
        raise BehaviourError(SHARES, "the error shares add up to more than 100")
    return behaviour


def _number(key: str, value: Any, kind: type[int] | type[float]) -> Any:
    try:
        return kind(str(value).strip())
    except ValueError:
        raise BehaviourError(key, f"{key} must be a number") from None


def _row(session: Session) -> Setting | None:
    return session.scalar(select(Setting).where(Setting.namespace == NAMESPACE, Setting.key == KEY))


def load(session: Session, overrides: Mapping[str, Any] | None = None) -> Behaviour:
    """The saved behaviour (defaults where nothing was saved), with ``overrides`` on top."""
    saved = session.scalar(_SAVED)
    return parse({**(saved if isinstance(saved, dict) else {}), **(overrides or {})})


_SAVED = select(Setting.value).where(Setting.namespace == NAMESPACE, Setting.key == KEY)
"""The saved settings' value alone: read on every batch sent, so no ORM object is built."""


def save(session: Session, behaviour: Behaviour) -> None:
    """Store ``behaviour`` as the install's settings."""
    row = _row(session)
    if row is None:
        session.add(Setting(namespace=NAMESPACE, key=KEY, value=behaviour.as_settings()))
    else:
        row.value = behaviour.as_settings()


def draw(seed: str, message_id: int, what: str, attempt: int = 0) -> float:
    """A number in [0, 100) fixed by its arguments: the percentile a decision compares to."""
    digest = hashlib.sha256(f"{seed}:{message_id}:{what}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100


def gateway_id(seed: str, message_id: int, attempt: int) -> str:
    """The sandbox's id for an accepted message, in the style of Aliyun's BizId."""
    digest = hashlib.sha256(f"{seed}:{message_id}:biz:{attempt}".encode()).hexdigest()
    return f"{int(digest[:12], 16) % 10**15:015d}^0"
