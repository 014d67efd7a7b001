"""The trigger contract: automatic care messages on order events and schedules.

A trigger switched on for a shop is an *automation* (:mod:`shopcrm.automation_store`); the
engine (:mod:`shopcrm.automations`) hands it the events it listens to and writes its messages to
the outbox.
"""
from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Mapping, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.sources import OrderEvent


@dataclass(slots=True, frozen=True)
class ScheduleEvent:
    """A timed event such as ``daily``, passed to triggers like an order event."""

    kind: str
    shop_id: int
    occurred_at: dt.datetime


@dataclass(slots=True, frozen=True)
class ReviewEvent:
    """A buyer reviewed an order (``review.created``); handed to the engine by whatever imports
    reviews, with :func:`shopcrm.automations.fire`."""

    kind: str
    shop_id: int
    review_id: int
    customer_id: int
    order_id: int | None
    occurred_at: dt.datetime
    source: str = "import"


TriggerEvent = Union[OrderEvent, ScheduleEvent, ReviewEvent]
"""What :meth:`Trigger.targets` receives."""


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
    default_options: ClassVar[Mapping[str, Any]] = {}
    """The trigger's own settings an automation starts with (e.g. ``{"days": 30}``); an
    operator changes them per shop. Read them with :meth:`options`."""

    @abc.abstractmethod
    def targets(self, session: Session, event: TriggerEvent) -> Iterable[TriggerTarget]:
        """Whom to message for this event."""

    @abc.abstractmethod
    def still_applies(self, session: Session, target: TriggerTarget) -> bool:
        """Checked again when the delay is over: False drops the message (paid meanwhile ...).

        The target is rebuilt from its outbox row: ``customer_id`` and ``order_id`` as written
        (``context`` is not kept)."""

    @abc.abstractmethod
    def dedupe_key(self, target: TriggerTarget) -> str:
        """One message per key, whatever is retried or replayed."""

    def options(self, session: Session, shop_id: int) -> dict[str, Any]:
        """:attr:`default_options` overlaid with what the shop's automation of this trigger saved."""
        from shopcrm.models import Automation

        saved = session.scalar(select(Automation.options).where(Automation.shop_id == shop_id,
                                                                 Automation.trigger == self.name))
        return {**self.default_options, **{k: v for k, v in (saved or {}).items() if k in self.default_options}}
