"""``shopcrm plugins``: what is installed and what each plugin registered."""
from __future__ import annotations

import click

from shopcrm.cli.common import echo_json
from shopcrm.plugin_report import plugins_report


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
