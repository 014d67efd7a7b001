"""``shopcrm sms_aliyun callback-urls``: the push addresses to enter in the Aliyun console.

The addresses hold the shop's secret token (:mod:`.tokens`), made the first time they are
shown; this is the one place they are printed.
"""
from __future__ import annotations

import click

from shopcrm.cli.common import config, echo_json, require_schema, shop_id
from shopcrm.db import session_scope
from shopcrm_sms_aliyun import tokens


@click.group(name="sms_aliyun", help="Aliyun SMS (阿里云短信).")
def sms_aliyun() -> None:
    pass


@sms_aliyun.command("callback-urls", help="Print the receipt (SmsReport) and reply (SmsUp) push "
                                         "addresses to configure in the Aliyun SMS console.")
@click.argument("base_url")
@click.option("--shop", default=None, help="The shop's name (the first shop when left out).")
@click.option("--json", "as_json", is_flag=True)
def callback_urls(base_url: str, shop: str | None, as_json: bool) -> None:
    """``BASE_URL`` is where this ShopCRM is reachable from the internet (https://crm.example.com)."""
    cfg = config()
    require_schema(cfg)
    with session_scope(cfg) as session:
        token = tokens.callback_token(session, shop_id(session, shop))
    prefix = f"{base_url.rstrip('/')}/plugins/sms_aliyun"
    urls = {"report": f"{prefix}/report/{token}", "up": f"{prefix}/up/{token}"}
    if as_json:
        echo_json(urls)
    else:
        click.echo(f"SmsReport (短信回执): {urls['report']}")
        click.echo(f"SmsUp (上行短信):     {urls['up']}")


def register(cli: click.Group) -> None:
    cli.add_command(sms_aliyun)
