"""``shopcrm plugin new NAME``: scaffold a plugin distribution that installs with pip and loads at once."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import click
from flask import Blueprint

from shopcrm import plugin_scaffold
from shopcrm.plugins import get_plugin_manager
from shopcrm.registry import get_registry


@click.group(help="Write plugins for ShopCRM.")
def plugin() -> None:
    pass


@plugin.command("new", help="Create the distribution shopcrm-NAME: a pyproject.toml with the entry point, "
                            "a package with a working hook implementation of the chosen kind, its tests and a "
                            "README. NAME is lowercase letters, digits and underscores.")
@click.argument("name")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write it (default: ./shopcrm-NAME); must be missing or empty.")
@click.option("--kind", type=click.Choice(list(plugin_scaffold.KINDS)), default=plugin_scaffold.DEFAULT_KIND,
              show_default=True, help="What the plugin starts as.")
def new(name: str, directory: Path | None, kind: str) -> None:
    taken = {plugin_name for plugin_name, _ in get_plugin_manager().list_name_plugin() if plugin_name}
    try:
        plugin_scaffold.check_name(name, taken, claimed(kind))
        scaffold = plugin_scaffold.build(name, kind)
        target = directory or Path.cwd() / scaffold.distribution
        written = plugin_scaffold.write(scaffold, target)
    except plugin_scaffold.ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {scaffold.distribution} ({plugin_scaffold.KINDS[kind].replace('<name>', name)}) in {target}:")
    for path in written:
        click.echo(f"  {path.relative_to(target)}")
    click.echo("next:")
    click.echo(f"  pip install -e '{target}[test]'")
    click.echo(f"  shopcrm plugins          # lists {name}")
    click.echo(f"  cd {target} && pytest")


def claimed(kind: str) -> dict[str, str]:
    """The names a scaffold of ``kind`` could not register, with who holds each: the registered
    objects of its registry kind, or for a page the blueprint names of the core's pages."""
    if kind in plugin_scaffold.REGISTERS:
        named = get_registry().kinds()[plugin_scaffold.REGISTERS[kind]]
        return {name: f"the {named.kind} {name!r} of the plugin {owner!r}" for name, owner in named.owners.items()}
    return {name: f"the name of the core's {name!r} pages (a Flask blueprint)" for name in core_blueprint_names()}


def core_blueprint_names() -> set[str]:
    """The names of the blueprints the web package defines (``bp`` in its modules)."""
    import shopcrm.web

    names = set()
    for info in pkgutil.walk_packages(shopcrm.web.__path__, f"{shopcrm.web.__name__}."):
        blueprint = getattr(importlib.import_module(info.name), "bp", None)
        if isinstance(blueprint, Blueprint):
            names.add(blueprint.name)
    return names


def register(cli: click.Group) -> None:
    cli.add_command(plugin)
