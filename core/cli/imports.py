"""``shopcrm import``: orders, customers and reviews from CSV or Excel files, or through a plugin's data source."""
from __future__ import annotations

from pathlib import Path

import click

from shopcrm.cli.common import config, echo_json, require_schema, shop_id
from shopcrm.db import session_scope
from shopcrm.files.presets import FIELDS, PRESETS
from shopcrm.importing import create_import_run, run_import
from shopcrm.registry import get_registry


def _parse_mapping(kind: str, pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        if not sep or not column or not field:
            raise click.BadParameter(f"{pair!r}: write COLUMN=field, e.g. 订单号=order_id", param_hint="--map")
        if field not in FIELDS[kind]:
            raise click.BadParameter(
                f"{field!r} is not a field of {kind}: {', '.join(FIELDS[kind])}", param_hint="--map"
            )
        mapping[column] = field
    return mapping


def _check_source(kind: str, name: str) -> None:
    """A usage error unless ``name`` is a registered data source that imports ``kind``."""
    sources = get_registry().data_sources
    able = sorted(source.name for source in sources if kind in source.kinds)
    if name not in sources or kind not in sources[name].kinds:
        raise click.BadParameter(f"no data source {name!r} imports {kind} (sources that do: {', '.join(able)})",
                                 param_hint="--source")


def _import(kind: str, path: Path, shop: str | None, preset: str | None, mapping: tuple[str, ...], as_json: bool,
            source: str = "file") -> None:
    cfg = config()
    require_schema(cfg)
    _check_source(kind, source)
    columns = _parse_mapping(kind, mapping)
    with session_scope(cfg) as session:
        target = shop_id(session, shop)
    params = {"path": str(path.resolve()), "filename": path.name, "preset": preset, "mapping": columns}
    run_id = create_import_run(cfg, target, kind, params, source=source)
    result = run_import(cfg, run_id, relabel="wait")
    if as_json:
        echo_json(result)
    else:
        if result["status"] == "failed":
            raise click.ClickException(result["message"])
        click.echo(
            f"{path.name}: {result['rows']} rows, {result['inserted']} new, {result['updated']} updated, "
            f"{result['unchanged']} unchanged, {result['errors']} with errors"
        )
        if result["error_report"]:
            click.echo(f"bad rows are listed in {result['error_report']}")
    if result["status"] == "failed":
        raise SystemExit(1)


def _command(kind: str) -> click.Command:
    @click.command(kind, help=f"Import {kind} from a CSV (UTF-8 or GBK) or XLSX file, or from a file a "
                              "plugin's data source reads (--source).")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--shop", default=None, help="Shop name (default: the first shop).")
    @click.option("--preset", type=click.Choice(sorted(PRESETS[kind])), default=None,
                  help="Column layout (default: detected from the headers).")
    @click.option("--map", "mapping", multiple=True, metavar="COLUMN=field",
                  help="Map a column to a field; overrides the preset. Repeatable.")
    @click.option("--source", default="file", show_default=True,
                  help="The data source that reads the file: 'file' (CSV/XLSX) or one a plugin registered.")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    def command(path: Path, shop: str | None, preset: str | None, mapping: tuple[str, ...], as_json: bool,
                source: str) -> None:
        _import(kind, path, shop, preset, mapping, as_json, source)

    return command


@click.group("import", help="Import orders, customers or reviews from files.")
def import_group() -> None:
    pass


for _kind in FIELDS:
    import_group.add_command(_command(_kind))


def register(cli: click.Group) -> None:
    cli.add_command(import_group)
