"""Unsubscribe tokens: which shop, channel and address a link opts out, signed with the instance's
secret key so that nobody can make one for an address they were not sent (itsdangerous).

A token never expires: an email read a year later still unsubscribes. It says nothing secret
(the address it carries is the recipient's own), so it is signed, not encrypted.
"""
from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "shopcrm_email_smtp.unsubscribe"
PATH = "/plugins/email_smtp/unsubscribe/"


@dataclass(slots=True, frozen=True)
class Unsubscribe:
    """What an unsubscribe link opts out."""

    shop_id: int
    channel: str
    address: str


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, unsubscribe: Unsubscribe) -> str:
    return str(_serializer(secret_key).dumps([unsubscribe.shop_id, unsubscribe.channel, unsubscribe.address]))


def read_token(secret_key: str, token: str) -> Unsubscribe | None:
    """What ``token`` opts out, or ``None`` when it was not signed with ``secret_key`` (forged,
    mangled, or from another installation)."""
    try:
        payload = _serializer(secret_key).loads(token)
    except BadSignature:
        return None
    if (not isinstance(payload, list) or len(payload) != 3 or not isinstance(payload[0], int)
            or not all(isinstance(part, str) for part in payload[1:])):
        return None
    return Unsubscribe(payload[0], payload[1], payload[2])


def unsubscribe_url(public_url: str, secret_key: str, unsubscribe: Unsubscribe) -> str:
    """The link an email carries: the unsubscribe page of this plugin under ``public_url``."""
    return public_url.rstrip("/") + PATH + make_token(secret_key, unsubscribe)
