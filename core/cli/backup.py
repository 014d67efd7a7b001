"""``shopcrm backup PATH`` and ``shopcrm restore PATH``: the embedded (SQLite) install in one file.

PostgreSQL installs use ``pg_dump``/``pg_restore`` instead (``docs/deployment.md``); both commands
say so rather than doing half a job.
"""
from __future__ import annotations

from pathlib import Path

import click

from shopcrm.cli.common import config, echo_json


def _counts(counts: dict[str, int]) -> str:
    return f"{counts.get('customer', 0)} customers, {counts.get('order', 0)} orders"


@click.command(help="Write a backup of the SQLite database and the instance secret key to PATH (a new "
                    ".tar.gz file); safe while ShopCRM runs. PostgreSQL: use pg_dump, see docs/deployment.md.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the archive's manifest as JSON.")
def backup(path: Path, as_json: bool) -> None:
    from shopcrm.backup import BackupError
    from shopcrm.backup import backup as make_backup

    try:
        manifest = make_backup(config(), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        echo_json({"path": str(path), **manifest.as_dict()})
        return
    click.echo(f"backup written to {path}: {_counts(manifest.counts)}, schema {', '.join(manifest.revisions)}")
    click.echo("it holds the instance secret key: keep it as safe as the database", err=True)


@click.command(help="Replace the SQLite database and the instance secret key with those of the backup at PATH. "
                    "Stop the web UI and workers first. The replaced files are kept beside, renamed.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore(path: Path, force: bool) -> None:
    from shopcrm.backup import BackupError
    from shopcrm.backup import restore as restore_backup

    try:
        done = restore_backup(config(), path, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    manifest = done.manifest
    click.echo(f"restored the backup of {manifest.created_at} (ShopCRM {manifest.shopcrm_version}): "
               f"{_counts(manifest.counts)}")
    for kept in done.kept:
        click.echo(f"kept the replaced {kept.name.split('.before-restore-')[0]} as {kept}")
    if done.upgrade_needed:
        click.echo("the backup comes from an older ShopCRM: run `shopcrm db upgrade` before starting it")


def register(cli: click.Group) -> None:
    cli.add_command(backup)
    cli.add_command(restore)
