"""``shopcrm demo``: a shop and an admin account to try ShopCRM with."""
from __future__ import annotations

import secrets

import click
from sqlalchemy import select

from shopcrm import audit
from shopcrm.accounts import create_user, set_password
from shopcrm.cli.common import config, require_schema
from shopcrm.db import session_scope
from shopcrm.models import User
from shopcrm.shops import default_shop

DEMO_SHOP = "小满生活旗舰店"
DEMO_SIGNATURE = "小满生活"
DEMO_ADMIN = "admin"


@click.command(help="Set up a demo shop and an admin account, and print its credentials.")
def demo() -> None:
    cfg = config()
    require_schema(cfg)
    password = secrets.token_urlsafe(9)
    with session_scope(cfg) as session:
        shop = default_shop(session)
        if not shop.sms_signature:
            shop.name, shop.sms_signature = DEMO_SHOP, DEMO_SIGNATURE
        admin = session.scalar(select(User).where(User.username == DEMO_ADMIN))
        if admin is None:
            admin = create_user(session, DEMO_ADMIN, password, role="admin")
            audit.record(session, "user.create", target=f"user:{DEMO_ADMIN}",
                         details={"role": "admin", "via": "demo"}, username="cli")
        else:
            set_password(admin, password)
            audit.record(session, "user.password", target=f"user:{DEMO_ADMIN}",
                         details={"via": "demo"}, username="cli")
        shop_name = shop.name
    click.echo(f"demo shop: {shop_name}")
    click.echo(f"log in as: {DEMO_ADMIN}")
    click.echo(f"password:  {password}")


def register(cli: click.Group) -> None:
    cli.add_command(demo)
