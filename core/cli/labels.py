"""``shopcrm labels``: run the segmenters (RFM class, life stage, tier ...) and see their last runs."""
from __future__ import annotations

import click

from shopcrm.cli.common import config, echo_json, require_schema, shop_id
from shopcrm.db import session_scope
from shopcrm.jobs import enqueue, wait_for
from shopcrm.labels import last_runs, segmenters


@click.group(help="Customer labels: every segmenter's value for every customer.")
def labels() -> None:
    pass


@labels.command("refresh", help="Relabel every customer of the shop (all segmenters, or those named).")
@click.option("--shop", default=None)
@click.option("--segmenter", "names", multiple=True, help="Only this segmenter (repeatable).")
@click.option("--json", "as_json", is_flag=True)
def refresh(shop: str | None, names: tuple[str, ...], as_json: bool) -> None:
    cfg = config()
    require_schema(cfg)
    try:
        chosen = [s.name for s in segmenters(names or None)]
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="--segmenter") from None
    with session_scope(cfg) as session:
        target = shop_id(session, shop)
    run_id = enqueue("labels.refresh", cfg, wait=True, shop_id=target, segmenters=chosen)
    status = wait_for(run_id, cfg)
    result = status.get("result") or {}
    if as_json:
        echo_json(result | {"status": status["status"], "error": status.get("error")})
    else:
        for name, outcome in (result.get("segmenters") or {}).items():
            line = f"{name:<16} {outcome['customers']} customers in {outcome['seconds']} s"
            click.echo(line if outcome["status"] == "finished" else f"{name:<16} failed: {outcome['error']}")
    if status["status"] != "finished" or any(o["status"] != "finished" for o in (result.get("segmenters") or {}).values()):
        raise SystemExit(1)


@labels.command("status", help="Each segmenter's last run: when, how long, and customers per value.")
@click.option("--shop", default=None)
@click.option("--json", "as_json", is_flag=True)
def status(shop: str | None, as_json: bool) -> None:
    cfg = config()
    require_schema(cfg)
    rows = []
    with session_scope(cfg) as session:
        target = shop_id(session, shop)
        for segmenter in segmenters():
            runs = last_runs(session, target, segmenter.name, limit=1)
            run = runs[0] if runs else None
            rows.append({"segmenter": segmenter.name,
                         "last_run_at": run.started_at.isoformat() if run else None,
                         "full": run.full if run else None, "seconds": run.seconds if run else None,
                         "counts": dict(run.counts) if run else {}})
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        if row["last_run_at"] is None:
            click.echo(f"{row['segmenter']:<16} never run")
            continue
        counts = ", ".join(f"{value} {n}" for value, n in sorted(row["counts"].items(), key=lambda kv: -kv[1]))
        click.echo(f"{row['segmenter']:<16} {row['last_run_at']}  {counts}")


def register(cli: click.Group) -> None:
    cli.add_command(labels)
