"""The trigger contract: automatic care messages on order events and schedules."""
from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

from sqlalchemy.orm import Session

from shopcrm.sources import OrderEvent


@dataclass(slots=True, frozen=True)
class ScheduleEvent:
    """A timed event such as ``daily``, passed to triggers like an order event."""

    kind: str
    shop_id: int
    occurred_at: dt.datetime


@dataclass(slots=True)
class TriggerTarget:
    """Someone a trigger wants to message, and about what."""

    customer_id: int
    order_id: int | None = None
    context: dict[str, Any] = field(default_factory=dict)
    to_shopkeeper: bool = False
    """True for alerts to the shop's own phone (a bad review, say)."""


class Trigger(abc.ABC):
    """A care message along an order's life, registered with ``register_triggers``."""

    name: ClassVar[str]
    label: ClassVar[str]
    events: ClassVar[tuple[str, ...]]
    """Event kinds it reacts to: ``order.created``, ``order.paid`` ..., ``daily``."""
    default_delay: ClassVar[dt.timedelta] = dt.timedelta(0)
    default_template: ClassVar[str] = ""
    marketing: ClassVar[bool] = False
    """Notifications are exempt from the marketing frequency cap and opt-out text."""

    @abc.abstractmethod
    def targets(self, session: Session, event: OrderEvent | ScheduleEvent) -> Iterable[TriggerTarget]:
        """Whom to message for this event."""

    @abc.abstractmethod
    def still_applies(self, session: Session, target: TriggerTarget) -> bool:
        """Checked again when the delay is over: False drops the message (paid meanwhile ...)."""

    @abc.abstractmethod
    def dedupe_key(self, target: TriggerTarget) -> str:
        """One message per key, whatever is retried or replayed."""
