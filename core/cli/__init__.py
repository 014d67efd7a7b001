"""The ``shopcrm`` command line. Core command groups live in this package's modules;
plugins add theirs through the ``register_commands(cli)`` hook."""
from __future__ import annotations

import logging
import sys

import click
import pluggy

from shopcrm import __version__
from shopcrm.plugins import PluginError, call_each


def build_cli() -> click.Group:
    """A fresh ``shopcrm`` group with the core's commands and every plugin's."""
    from shopcrm.cli import (automations, backup, campaigns, customers, db, demo, imports, labels, plugin_new,
                             plugins, scheduler, segments, serve, tokens, users, worker)

    @click.group(help="ShopCRM: customers, segments, SMS campaigns and care messages for online shops.")
    @click.version_option(__version__, prog_name="shopcrm")
    def cli() -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)

    for module in (automations, backup, campaigns, customers, db, demo, imports, labels, plugin_new, plugins,
                   scheduler, segments, serve, tokens, users, worker):
        module.register(cli)
    before = dict(cli.commands)
    for plugin, _ in call_each("register_commands", cli=cli):
        replaced = [name for name, command in before.items() if cli.commands.get(name) is not command]
        if replaced:
            raise PluginError(
                f"plugin {plugin!r} replaces the command(s) {', '.join(replaced)}; choose other names"
            )
        before = dict(cli.commands)
    return cli


def main() -> None:
    from shopcrm.registry import get_registry

    try:
        cli = build_cli()
        get_registry()  # name clashes between plugins stop every command, at start-up
    except (PluginError, pluggy.PluginValidationError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    cli(prog_name="shopcrm")
