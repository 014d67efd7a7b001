"""``GET /healthz``: whether this web process can reach its database and Redis.

For the proxy's or the orchestrator's health checks and for monitoring: no log-in, and the
answer says only ``ok`` or ``error`` per part (what went wrong is logged here, never sent: a
host name or a driver message is no business of an anonymous caller)::

    {"status": "ok", "database": "ok", "redis": "ok"}       200
    {"status": "error", "database": "ok", "redis": "error"}  503

``redis`` is ``"off"`` on an install without ``REDIS_URL`` (jobs run in the web process).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from shopcrm.config import Config
from shopcrm.db import get_engine
from shopcrm.web.access import public
from shopcrm.web.database import current_config

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)

TIMEOUT_SECONDS = 2.0
"""How long the Redis check waits for an answer: a health check must answer, even about a hung server."""

_redis: dict[str, Any] = {}


def database_ok(config: Config) -> bool:
    try:
        with get_engine(config).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure is "not healthy": logged with its cause, answered as "error"
        log.exception("health check: the database cannot be reached")
        return False


def redis_ok(config: Config) -> bool:
    from redis import Redis

    assert config.redis_url
    connection = _redis.get(config.redis_url)
    if connection is None:
        connection = _redis[config.redis_url] = Redis.from_url(
            config.redis_url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        return bool(connection.ping())
    except Exception:
        log.exception("health check: Redis cannot be reached")
        return False


@bp.route("/healthz")
@public
def healthz() -> ResponseReturnValue:
    config = current_config()
    parts = {"database": "ok" if database_ok(config) else "error"}
    parts["redis"] = ("ok" if redis_ok(config) else "error") if config.redis_url else "off"
    healthy = "error" not in parts.values()
    return jsonify({"status": "ok" if healthy else "error", **parts}), 200 if healthy else 503
