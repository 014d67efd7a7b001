"""Flask settings derived from ShopCRM's :class:`~shopcrm.config.Config`.

Cookies are HttpOnly and SameSite=Lax always; ``SHOPCRM_COOKIE_SECURE=1`` (for a site served
over HTTPS) adds the Secure flag. The secret key is the instance's own, kept in the instance
folder, so sessions survive restarts and are shared by every worker process.
"""
from __future__ import annotations

from typing import Any

from flask import Flask

from shopcrm.config import Config

CSRF_TIME_LIMIT = 12 * 3600
"""Seconds a page's CSRF token stays valid: a working day, so an open tab keeps working."""

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})

MAX_REQUEST_BYTES = 200 * 1024 * 1024
"""The largest request body the site accepts: an order export uploaded on the import page.
Larger requests are refused with 413 before anything is saved."""


def flask_settings(config: Config) -> dict[str, Any]:
    """The Flask configuration for ``config``."""
    secure = config.extra.get("COOKIE_SECURE", "").strip().lower() in TRUE_VALUES
    return {
        "SECRET_KEY": config.secret_key(),
        "SESSION_COOKIE_NAME": "shopcrm_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "WTF_CSRF_TIME_LIMIT": CSRF_TIME_LIMIT,
        "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,
        "SHOPCRM_CONFIG": config,
    }


def configure(app: Flask, config: Config) -> None:
    """Apply :func:`flask_settings` and answer JSON in readable UTF-8 (Chinese as is)."""
    app.config.update(flask_settings(config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
