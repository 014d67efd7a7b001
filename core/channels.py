"""The channel contract: how messages leave ShopCRM.

Every message is an outbox row before anything is sent; a batch job hands a channel up to
``max_batch`` :class:`OutgoingMessage` values and records each :class:`SendResult`.
``SendResult.status`` says what may happen next:

* ``accepted`` - the gateway has it;
* ``rejected`` - final, never retried;
* ``retry``    - safe to try again (throttling, a transient error);
* ``unknown``  - the gateway may or may not have it: never resend blindly, reconcile
  with :meth:`Channel.query`.
"""
from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Mapping, Sequence

from shopcrm.message_templates import sms_parts

SendStatus = Literal["accepted", "rejected", "retry", "unknown"]
SEND_STATUSES: tuple[SendStatus, ...] = ("accepted", "rejected", "retry", "unknown")


@dataclass(slots=True, frozen=True)
class OutgoingMessage:
    """One message to send. ``id`` is stable and used as the gateway's OutId."""

    id: int
    to: str
    text: str
    template_code: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    subject: str | None = None
    sent_at: dt.datetime | None = None
    """When it was first handed to the channel (naive UTC), given to :meth:`Channel.query`: a
    gateway that shows sends after a lag can tell "not there yet" from "never arrived"."""


@dataclass(slots=True, frozen=True)
class SendResult:
    """What the gateway said about one message."""

    message_id: int
    status: SendStatus
    gateway_id: str | None = None
    error_code: str | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if self.status not in SEND_STATUSES:
            raise ValueError(f"SendResult.status must be one of {SEND_STATUSES}, not {self.status!r}")


@dataclass(slots=True, frozen=True)
class SettingsField:
    """One setting a channel needs (shown on the settings page)."""

    name: str
    label: str
    secret: bool = False
    """Secrets are stored encrypted and never shown back."""
    required: bool = True
    default: str | None = None
    help: str = ""


@dataclass(slots=True, frozen=True)
class MessageEvent:
    """Something a gateway reported: ``delivered``, ``failed`` or ``replied``."""

    kind: Literal["delivered", "failed", "replied"]
    channel: str
    message_id: int | None = None
    gateway_id: str | None = None
    mobile: str | None = None
    text: str | None = None
    error_code: str | None = None
    occurred_at: dt.datetime | None = None
    shop_id: int | None = None
    """The shop the event belongs to, when the channel knows it (a reply needs it to be filed
    and to opt its number out)."""


class Channel(abc.ABC):
    """A way to send messages, registered with ``register_channels``."""

    name: ClassVar[str]
    label: ClassVar[str]
    kind: ClassVar[str] = "sms"
    """``sms`` or ``email``: which customer field the core addresses and how it composes messages
    (see :mod:`shopcrm.channel_kinds`)."""
    max_batch: ClassVar[int] = 100

    def settings_fields(self) -> Sequence[SettingsField]:
        """The settings this channel needs; none by default."""
        return ()

    def check_settings(self, values: Mapping[str, str]) -> list[str]:
        """What is wrong with posted settings (text per field name, only the fields posted), one
        message per problem naming its field; nothing is saved while there is any. None by
        default: the core checks only that required fields are given."""
        return []

    @abc.abstractmethod
    def send_batch(
        self, messages: Sequence[OutgoingMessage], settings: Mapping[str, Any]
    ) -> list[SendResult]:
        """Send up to ``max_batch`` messages; one result per message, in any order."""

    def query(
        self, messages: Sequence[OutgoingMessage], settings: Mapping[str, Any]
    ) -> list[SendResult]:
        """Ask the gateway what became of messages whose outcome is ``unknown``.

        Channels that cannot tell return ``unknown`` again and the rows stay for an operator.
        """
        return [SendResult(m.id, "unknown") for m in messages]

    def parse_callback(self, request: Any, settings: Mapping[str, Any]) -> list[MessageEvent]:
        """Turn a gateway's HTTP push (receipts, replies) into events; none by default."""
        return []

    def count_segments(self, text: str) -> int:
        """Billed parts of ``text``: 70 characters for one SMS, 67 per part beyond (a channel
        that bills otherwise overrides this)."""
        return max(1, sms_parts(text))
