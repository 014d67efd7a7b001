"""Secrets at rest: values encrypted with a key derived from the instance's secret key.

The instance key (:meth:`shopcrm.config.Config.secret_key`) is never used directly: HKDF-SHA256
with a fixed context string turns it into a Fernet key, so the same instance key can serve
other purposes (signing sessions) without the two uses ever sharing key material. Fernet
authenticates what it decrypts: a value encrypted under another instance key, or altered, is
refused with :class:`SecretError` instead of coming back as garbage.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CONTEXT = b"shopcrm settings secrets v1"
"""The HKDF ``info``: what the derived key is for."""


class SecretError(ValueError):
    """A stored secret that this instance's key cannot decrypt."""


def _fernet(instance_key: str) -> Fernet:
    if not instance_key:
        raise ValueError("the instance secret key is empty")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CONTEXT).derive(instance_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(instance_key: str, plaintext: str) -> str:
    """``plaintext`` encrypted (and authenticated) under ``instance_key``, as ASCII text."""
    return _fernet(instance_key).encrypt(plaintext.encode()).decode("ascii")


def decrypt(instance_key: str, token: str) -> str:
    """The plaintext of ``token``; :class:`SecretError` when ``instance_key`` is not the key it
    was encrypted with, or the stored value was altered."""
    try:
        return _fernet(instance_key).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise SecretError(
            "a stored secret cannot be decrypted with this instance's secret key: the key file in the "
            "instance folder was replaced or the database comes from another install; enter the secret again"
        ) from exc


__all__ = ["CONTEXT", "SecretError", "decrypt", "encrypt"]
