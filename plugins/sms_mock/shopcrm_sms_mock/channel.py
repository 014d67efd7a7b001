"""``MockSmsChannel``: the sandbox as a channel campaigns and automations can send through."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Sequence

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shopcrm.channels import Channel, OutgoingMessage, SendResult
from shopcrm.config import Config, load_config
from shopcrm.db import get_engine, session_factory, utcnow
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
        self._sessions: tuple[Engine, sessionmaker[Session]] | None = None

    @contextmanager
    def _scope(self) -> Iterator[Session]:
        """A write transaction, committed on success and rolled back on error (as
        :func:`shopcrm.db.session_scope`), from a session factory kept while the engine stays
        the same: making one per call would cost more than a batch's own work."""
        engine = get_engine(self._config or load_config())
        if self._sessions is None or self._sessions[0] is not engine:
            self._sessions = (engine, session_factory(engine, write=True))
        session = self._sessions[1]()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

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
