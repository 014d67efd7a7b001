"""The page example: its page, menu entry and customer panel for a signed-in user, escaped, and
nothing without a log-in."""
from __future__ import annotations

from decimal import Decimal
from typing import Callable

from flask import Flask
from sqlalchemy.orm import Session

from shopcrm.accounts import create_user
from shopcrm.config import Config
from shopcrm.models import Customer
from shopcrm.shops import default_shop
from shopcrm.web import create_app
from tests.web.web_support import PASSWORD, login, text


def _app(config: Config) -> Flask:
    app = create_app(config)
    app.config["TESTING"] = True
    return app


def _customers(session: Session) -> dict[str, Customer]:
    shop = default_shop(session)
    people = {
        "lily": Customer(shop_id=shop.id, platform_id="lily", province="浙江省", order_count=2, total_paid=Decimal("300")),
        "wei": Customer(shop_id=shop.id, platform_id="wei", province="浙江省", order_count=1, total_paid=Decimal("500")),
        "eve": Customer(shop_id=shop.id, platform_id="eve", province="<b>省</b>", order_count=1,
                        total_paid=Decimal("20.5")),
        "new": Customer(shop_id=shop.id, platform_id="new", province="浙江省"),
    }
    session.add_all(people.values())
    create_user(session, "guest", PASSWORD, role="viewer", locale="en")
    session.commit()
    return people


def test_the_page_menu_entry_and_panel_show_for_a_signed_in_user(load_examples: Callable[..., None],
                                                                 config: Config, session: Session) -> None:
    load_examples("provinces")
    people = _customers(session)
    client = _app(config).test_client()
    assert login(client, "guest", PASSWORD).status_code == 302
    page = text(client.get("/plugins/provinces/"))
    assert "<tr><td>浙江省</td><td>3</td><td>800.00</td></tr>" in page
    assert "<tr><td>&lt;b&gt;省&lt;/b&gt;</td><td>1</td><td>20.50</td></tr>" in page
    assert '<a href="/plugins/provinces/" aria-current="page">Provinces</a>' in page
    lily = text(client.get(f"/customers/{people['lily'].id}"))
    assert "<h3>Spending in 浙江省</h3><p>2 of 2 paying customers</p>" in lily
    eve = text(client.get(f"/customers/{people['eve'].id}"))
    assert "<h3>Spending in &lt;b&gt;省&lt;/b&gt;</h3>" in eve and "<b>省</b>" not in eve
    assert "Spending in" not in text(client.get(f"/customers/{people['new'].id}"))  # has not paid: no panel


def test_the_page_needs_a_log_in(load_examples: Callable[..., None], config: Config) -> None:
    load_examples("provinces")
    response = _app(config).test_client().get("/plugins/provinces/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
