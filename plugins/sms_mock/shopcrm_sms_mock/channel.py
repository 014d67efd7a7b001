"""``MockSmsChannel``: the sandbox as a channel campaigns and automations can send through."""
from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy.orm import Session

from shopcrm.channels import Channel, OutgoingMessage, SendResult
from shopcrm.config import Config, load_config
from shopcrm.db import session_scope, utcnow
from shopcrm_sms_mock import behaviour, gateway

NAME = "sms_mock"


class MockSmsChannel(Channel):
    """A gateway that keeps every message in the database instead of sending it.

    It answers like a real gateway (see :mod:`shopcrm_sms_mock.gateway`) under the install's
    sandbox settings; ``settings`` passed to a call override them key by key.
    """

    name = NAME
    label = "短信沙箱"
    kind = "sms"
    max_batch = 100

    def __init__(self, config: Config | None = None, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._config = config
        self._clock = clock

    def _scope(self) -> AbstractContextManager[Session]:
        return session_scope(self._config or load_config())

    def send_batch(self, messages: Sequence[OutgoingMessage], settings: Mapping[str, Any]) -> list[SendResult]:
        """Answer and store up to :attr:`max_batch` messages in one transaction."""
        if len(messages) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} messages per batch, not {len(messages)}")
        with self._scope() as session:
            return gateway.submit(session, messages, behaviour.load(session, settings), self._clock())

    def query(self, messages: Sequence[OutgoingMessage], settings: Mapping[str, Any]) -> list[SendResult]:
        """What the sandbox holds for each OutId: ``accepted`` (with its gateway id), ``rejected``
        (with its code) or, for one it does not have, ``retry`` with ``NOT_FOUND``."""
        with self._scope() as session:
            return gateway.lookup(session, [m.id for m in messages])
