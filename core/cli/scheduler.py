"""``shopcrm scheduler``: enqueue the daily jobs (labels, and whatever plugins make daily)."""
from __future__ import annotations

import time

import click

from shopcrm.cli.common import config, echo_json, require_schema
from shopcrm.schedule import TICK_SECONDS, daily_jobs, tick


@click.command(help="Enqueue daily jobs when they are due, every minute (with Redis, beside the workers; "
                    "without Redis `shopcrm serve` does this itself).")
@click.option("--once", is_flag=True, help="Enqueue what is due now, then exit.")
@click.option("--json", "as_json", is_flag=True, help="With --once: print the queued job run ids.")
def scheduler(once: bool, as_json: bool) -> None:
    cfg = config()
    require_schema(cfg)
    if once:
        job_ids = tick(cfg)
        if as_json:
            echo_json({"queued": job_ids})
        else:
            click.echo(f"{len(job_ids)} daily job(s) queued")
        return
    click.echo("daily jobs: " + ", ".join(f"{kind} at {hour:02d}:00" for kind, hour in daily_jobs().items()))
    while True:
        tick(cfg)
        time.sleep(TICK_SECONDS)


def register(cli: click.Group) -> None:
    cli.add_command(scheduler)
