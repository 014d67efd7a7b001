"""``SmtpEmailChannel``: campaigns and automations sent as email through the shop's SMTP server."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy import select

from shopcrm.channels import Channel, OutgoingMessage, SendResult, SettingsField
from shopcrm.config import Config, load_config
from shopcrm.db import get_engine, session_factory, utcnow
from shopcrm.models import Message
from shopcrm.sql import in_ids
from shopcrm_email_smtp import mime, settings as email_settings, smtp
from shopcrm_email_smtp.tokens import Unsubscribe, unsubscribe_url

NAME = "email_smtp"


class SmtpEmailChannel(Channel):
    """Email over SMTP: one connection per batch, one email per outbox message, each with an
    unsubscribe link for its shop and address (see :mod:`.smtp` for what each answer means)."""

    name = NAME
    label = "邮件 (SMTP)"
    kind = "email"
    max_batch = 50

    def __init__(self, config: Config | None = None, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._config = config
        self._clock = clock

    def settings_fields(self) -> Sequence[SettingsField]:
        return email_settings.FIELDS

    def check_settings(self, values: Mapping[str, str]) -> list[str]:
        return email_settings.check(values)

    def count_segments(self, text: str) -> int:
        """An email is one message, however long."""
        return 1

    def _shops(self, config: Config, ids: Sequence[int]) -> dict[int, int]:
        """Outbox id -> its shop, for the unsubscribe links (one query)."""
        engine = get_engine(config)
        with session_factory(engine)() as session:
            return {mid: shop for mid, shop in session.execute(
                select(Message.id, Message.shop_id).where(in_ids(Message.id, ids, engine.dialect.name)))}

    def send_batch(self, messages: Sequence[OutgoingMessage], settings: Mapping[str, Any]) -> list[SendResult]:
        """Send up to :attr:`max_batch` emails over one SMTP connection."""
        if len(messages) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} messages per batch, not {len(messages)}")
        config = self._config or load_config()
        missing = [name for name in ("host", "from_address", "public_url") if not settings.get(name)]
        if missing:
            return [SendResult(m.id, "retry", error_code="not_configured",
                               error=f"the email channel's settings lack: {', '.join(missing)}") for m in messages]
        shops = self._shops(config, [m.id for m in messages])
        secret = config.secret_key()
        now = self._clock()
        results: list[SendResult] = []
        batch = []
        for message in messages:
            shop_id = shops.get(message.id)
            if shop_id is None:  # no outbox row: no shop to unsubscribe from, so no email
                results.append(SendResult(message.id, "rejected", error_code="no_outbox_row",
                                          error=f"message {message.id} is not in the outbox"))
                continue
            link = unsubscribe_url(str(settings["public_url"]), secret, Unsubscribe(shop_id, self.name, message.to))
            batch.append((message, mime.build(message, settings, link, now)))
        return results + smtp.deliver(settings, batch)
