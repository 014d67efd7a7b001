"""The secret in the push addresses (``/plugins/sms_aliyun/report/<token>``).

Aliyun's pushes carry no signature, so the address itself is the secret: a random token made
the first time it is asked for and kept in the plugin's settings
(:mod:`shopcrm.plugin_settings`, one per shop, so that the address also says which shop a
push belongs to). Tokens are compared in constant time and never logged.
"""
from __future__ import annotations

import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm import plugin_settings
from shopcrm.models import Setting

PLUGIN = "sms_aliyun"
KEY = "callback_token"


def callback_token(session: Session, shop_id: int) -> str:
    """The shop's token, made and saved (not committed) the first time."""
    token = plugin_settings.load(session, PLUGIN, shop_id, {KEY: ""})[KEY]
    if not token:
        token = secrets.token_urlsafe(32)
        plugin_settings.save(session, PLUGIN, shop_id, {KEY: token})
        session.flush()
    return str(token)


def shop_for_token(session: Session, token: str) -> int | None:
    """The shop whose token is ``token``, or ``None``; every saved token is compared."""
    found: int | None = None
    rows = session.execute(select(Setting.key, Setting.value).where(Setting.namespace == f"plugin:{PLUGIN}"))
    for key, value in rows:
        saved = value.get(KEY) if isinstance(value, dict) else None
        if not isinstance(saved, str) or not saved or not key.startswith("shop:"):
            continue
        if hmac.compare_digest(saved.encode("utf-8"), token.encode("utf-8")) and found is None:
            found = int(key.removeprefix("shop:"))
    return found
