"""What ``shopcrm plugins`` and the admin plugins page show about each loaded plugin."""
from __future__ import annotations

from typing import Any

from shopcrm.plugins import call_each, plugin_infos
from shopcrm.registry import get_registry


def plugins_report() -> list[dict[str, Any]]:
    """Each plugin: name, version, origin, the hooks it implements and what it registered."""
    registry = get_registry()
    migrations = {plugin: str(path) for plugin, path in call_each("register_migrations") if path}
    report = []
    for info in plugin_infos():
        registered: dict[str, list[str]] = registry.registered_by(info.name)
        if info.name in migrations:
            registered["migrations"] = [migrations[info.name]]
        report.append({
            "name": info.name,
            "version": info.version,
            "source": info.source,
            "hooks": list(info.hooks),
            "registered": registered,
        })
    return report
