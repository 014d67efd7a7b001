"""Running behind a reverse proxy (nginx, a load balancer): trust its ``X-Forwarded-*`` headers.

``SHOPCRM_PROXIES=N`` says how many proxies stand in front of the web processes (usually 1).
The application then takes the client's address, the scheme (``https``), the host and the port
from the last ``N`` values of ``X-Forwarded-For``/``-Proto``/``-Host``/``-Port``/``-Prefix``, so
the audit log records the visitor's address rather than the proxy's, and links and redirects
keep ``https://`` and the public host name. Unset (the default), those headers are ignored: a
client talking to the web process directly could otherwise claim any address. Set it only when
the web port is reachable from the proxy alone.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from shopcrm.config import Config, ConfigError

SETTING = "PROXIES"


def proxy_count(config: Config) -> int:
    """The number of trusted proxies ``SHOPCRM_PROXIES`` gives (0 when unset)."""
    raw = config.extra.get(SETTING, "").strip()
    if not raw:
        return 0
    if not raw.isdigit():
        raise ConfigError(f"SHOPCRM_PROXIES must be a whole number of proxies (e.g. 1), not {raw!r}")
    return int(raw)


def init_app(app: Flask, config: Config) -> None:
    """Wrap the application in :class:`~werkzeug.middleware.proxy_fix.ProxyFix` when proxies are trusted."""
    count = proxy_count(config)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count,  # type: ignore[method-assign]
                                x_prefix=count)
