"""The default menu: the core's pages in the navigation, by role.

``menu_items`` runs inside a request, with the web app's endpoints and Flask-Babel. When the
web package is importable, its app is used; otherwise a minimal app with the same endpoint
names stands in, so this test does not depend on the web package.
"""
from __future__ import annotations

from typing import Iterator

import pytest
from flask import Flask, url_for
from flask_babel import Babel, force_locale

from shopcrm.models import User
from shopcrm.plugins import call_each, get_plugin_manager

ADMIN_PAGES = [("Plugins", "admin.plugins"), ("Users", "admin.users"), ("Settings", "admin.settings"),
               ("Channels", "admin.channels"), ("API tokens", "tokens.index")]
DASHBOARD = ("Dashboard", "dashboard.index")
CUSTOMERS = ("Customers", "customers.index")
SEGMENTS = ("Segments", "segments.index")
CAMPAIGNS = ("Campaigns", "campaigns.index")
TEMPLATES = ("Templates", "message_templates.index")
AUTOMATIONS = ("Automations", "automations.index")
ORDERS = ("Orders", "orders.index")
REPLIES = ("Replies", "replies.index")
OPT_OUTS = ("Opt-outs", "opt_outs.index")
IMPORT = ("Import", "imports.index")
IMPORT_HISTORY = ("Import history", "imports.history")


def minimal_app() -> Flask:
    """A stand-in with the endpoints the default menu links to, and Flask-Babel."""
    app = Flask("shopcrm_menu_test")
    Babel(app)
    for label, endpoint in [DASHBOARD, CUSTOMERS, SEGMENTS, CAMPAIGNS, TEMPLATES, AUTOMATIONS, ORDERS, REPLIES, OPT_OUTS,
                            IMPORT, IMPORT_HISTORY,
                            *ADMIN_PAGES]:
        app.add_url_rule(f"/{endpoint.replace('.', '/')}", endpoint=endpoint, view_func=lambda: "")
    return app


@pytest.fixture
def app(config) -> Flask:
    try:
        from shopcrm.web import create_app
    except ModuleNotFoundError as exc:
        if exc.name != "shopcrm.web":
            raise
        return minimal_app()
    return create_app(config)


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    """A request, in English so the labels are their msgids."""
    with app.test_request_context("/"), force_locale("en"):
        yield


def menu_for(role: str) -> list[tuple[str, str]]:
    user = User(username=f"a_{role}", role=role)
    plugin = get_plugin_manager().get_plugin("default_menu")
    return [(str(label), url) for label, url in plugin.menu_items(user=user)]


def expected(*pages: tuple[str, str]) -> list[tuple[str, str]]:
    return [(label, url_for(endpoint)) for label, endpoint in pages]


def test_admin_sees_every_page_and_the_admin_pages(request_context):
    assert menu_for("admin") == expected(DASHBOARD, CUSTOMERS, SEGMENTS, CAMPAIGNS, TEMPLATES, AUTOMATIONS, ORDERS,
                                         REPLIES, OPT_OUTS, IMPORT, *ADMIN_PAGES)


def test_operators_see_the_pages_and_the_import_page(request_context):
    assert menu_for("operator") == expected(DASHBOARD, CUSTOMERS, SEGMENTS, CAMPAIGNS, TEMPLATES, AUTOMATIONS, ORDERS,
                                            REPLIES, OPT_OUTS, IMPORT)


def test_viewers_see_the_pages_and_the_import_history(request_context):
    assert menu_for("viewer") == expected(DASHBOARD, CUSTOMERS, SEGMENTS, CAMPAIGNS, TEMPLATES, AUTOMATIONS, ORDERS,
                                          REPLIES, OPT_OUTS, IMPORT_HISTORY)


def test_the_menu_hook_runs_as_the_core_calls_it(request_context):
    """Through ``call_each``, which would log and drop a failing implementation."""
    results = dict(call_each("menu_items", user=User(username="boss", role="admin")))
    assert "default_menu" in results, "default_menu's menu_items failed or is not registered"
    assert [str(label) for label, _ in results["default_menu"]] == [
        "Dashboard", "Customers", "Segments", "Campaigns", "Templates", "Automations", "Orders", "Replies", "Opt-outs",
        "Import", "Plugins", "Users", "Settings", "Channels", "API tokens"]
