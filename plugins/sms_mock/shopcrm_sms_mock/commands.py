"""``shopcrm sms-mock log``: what the sandbox was asked to send."""
from __future__ import annotations

from typing import Any

import click

from shopcrm.cli.common import config, echo_json, require_schema
from shopcrm.db import session_scope
from shopcrm_sms_mock.gateway import duplicate_count
from shopcrm_sms_mock.listing import submissions
from shopcrm_sms_mock.models import Submission


def as_record(row: Submission) -> dict[str, Any]:
    """One submission as ``--json`` prints it."""
    return {
        "message_id": row.message_id,
        "number": row.number,
        "text": row.text,
        "at": row.submitted_at.isoformat(),
        "status": row.status,
        "gateway_id": row.gateway_id,
        "error_code": row.error_code,
        "template_code": row.template_code,
        "template_params": row.template_params,
        "receipt_at": row.receipt_at.isoformat() if row.receipt_at else None,
        "resends": row.resends,
    }


@click.group("sms-mock", help="The SMS sandbox (短信沙箱).")
def sms_mock() -> None:
    pass


@sms_mock.command("log", help="List the messages the sandbox received, newest first, then how many "
                              "duplicate sends it saw (an OutId submitted again while held).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--number", default=None, help="Only the messages to this mobile number.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def log(as_json: bool, number: str | None, limit: int) -> None:
    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        records = [as_record(row) for row in submissions(session, number=number, limit=limit)]
        duplicates = duplicate_count(session)
    if as_json:
        echo_json(records)
        return
    for record in records:
        click.echo(f"{record['at']}  {record['number']}  {record['status']:<9}  "
                   f"#{record['message_id']}  {record['text']}"
                   + (f"  (sent {record['resends']} more times)" if record["resends"] else ""))
    click.echo(f"duplicate sends: {duplicates}")


def register(cli: click.Group) -> None:
    cli.add_command(sms_mock)
