"""``shopcrm demo``: a shop and an admin account to try ShopCRM with."""
from __future__ import annotations

import secrets
import time

import click
from sqlalchemy import func, select

from shopcrm import audit
from shopcrm.accounts import create_user, set_password
from shopcrm.cli.common import config, require_schema
from shopcrm.db import get_engine, session_scope
from shopcrm.demo_data import generate
from shopcrm.labels import run_all
from shopcrm.models import Customer, User
from shopcrm.shops import default_shop

DEMO_SHOP = "小满生活旗舰店"
DEMO_SIGNATURE = "小满生活"
DEMO_ADMIN = "admin"


@click.command(help="Set up a demo shop with generated customers and orders (labelled by every segmenter), "
                    "and an admin account whose credentials it prints.")
@click.option("--customers", default=5000, show_default=True, type=click.IntRange(0))
@click.option("--orders", default=12000, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=1, show_default=True, type=int, help="The same seed gives the same shop.")
def demo(customers: int, orders: int, seed: int) -> None:
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
        shop_name, shop_id = shop.name, shop.id
        existing = session.scalar(select(func.count()).where(Customer.shop_id == shop_id)) or 0
    if existing:
        click.echo(f"the demo shop already has {existing} customers: no data generated")
    elif customers:
        started = time.monotonic()
        stats = generate(get_engine(cfg), shop_id, customers=customers, orders=orders, seed=seed,
                         progress=lambda what, n: click.echo(f"  {what}: {n}", err=True))
        click.echo(f"generated {stats.customers} customers, {stats.orders} orders, {stats.items} items and "
                   f"{stats.reviews} reviews in {time.monotonic() - started:.1f}s")
        # Generated orders raise no events: label everyone now, as the daily run would.
        for name, outcome in run_all(cfg, shop_id).items():
            click.echo(f"  labels {name}: {outcome.customers} customers"
                       + ("" if outcome.status == "finished" else f" (failed: {outcome.error})"), err=True)
    click.echo(f"demo shop: {shop_name}")
    click.echo(f"log in as: {DEMO_ADMIN}")
    click.echo(f"password:  {password}")


def register(cli: click.Group) -> None:
    cli.add_command(demo)
