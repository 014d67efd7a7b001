"""``shopcrm plugins``: what is installed and what each plugin registered."""
from __future__ import annotations

from typing import Any

import click

from shopcrm.cli.common import echo_json
from shopcrm.plugins import call_each, plugin_infos
from shopcrm.registry import get_registry


def plugins_report() -> list[dict[str, Any]]:
    """Each plugin: name, version, origin, hooks and what it registered (also the admin page)."""
    registry = get_registry()
    migrations = {plugin: str(path) for plugin, path in call_each("register_migrations") if path}
    report = []
    for info in plugin_infos():
        registered = registry.registered_by(info.name)
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


@click.command(help="List the loaded plugins, their hooks and what they registered.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins(as_json: bool) -> None:
    report = plugins_report()
    if as_json:
        echo_json(report)
        return
    for plugin in report:
        click.echo(f"{plugin['name']} {plugin['version'] or ''} ({plugin['source']})")
        click.echo(f"  hooks: {', '.join(plugin['hooks']) or '-'}")
        for kind, names in plugin["registered"].items():
            click.echo(f"  {kind}: {', '.join(names)}")


def register(cli: click.Group) -> None:
    cli.add_command(plugins)
