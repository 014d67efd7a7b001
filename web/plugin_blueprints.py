"""Pages that plugins add: the blueprints of ``register_blueprints()``, under ``/plugins/<name>/``.

Each plugin's blueprints are mounted under its own prefix (a blueprint's own ``url_prefix`` is
kept below it), so two plugins cannot take each other's addresses or the core's. A plugin whose
hook raises, or whose blueprint cannot be registered (a name another blueprint already uses),
is logged with its name and left out; the rest of the site starts as usual. Plugin pages need a
signed-in user like every other page (:func:`shopcrm.web.access.require_login`).
"""
from __future__ import annotations

import logging

from flask import Blueprint, Flask

from shopcrm.plugins import call_each

log = logging.getLogger(__name__)

PLUGIN_URL_PREFIX = "/plugins"


def plugin_prefix(plugin: str, blueprint: Blueprint) -> str:
    """``/plugins/<plugin>`` followed by the blueprint's own prefix, if it has one."""
    own = (blueprint.url_prefix or "").strip("/")
    return f"{PLUGIN_URL_PREFIX}/{plugin}" + (f"/{own}" if own else "")


def mount_plugin_blueprints(app: Flask) -> list[tuple[str, str]]:
    """Register every plugin blueprint on ``app``; return ``(plugin, blueprint name)`` mounted."""
    mounted: list[tuple[str, str]] = []
    for plugin, blueprints in call_each("register_blueprints"):
        for blueprint in blueprints or ():
            if not isinstance(blueprint, Blueprint):
                log.error("plugin %r returned %r from register_blueprints, not a Flask blueprint; "
                          "left out", plugin, blueprint)
                continue
            try:
                app.register_blueprint(blueprint, url_prefix=plugin_prefix(plugin, blueprint))
            except (ValueError, AssertionError) as exc:
                log.error("plugin %r: blueprint %r could not be mounted (%s); left out",
                          plugin, blueprint.name, exc)
                continue
            mounted.append((plugin, blueprint.name))
    return mounted
