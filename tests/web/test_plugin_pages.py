"""Plugins add pages and menu entries; the plugins page shows what each one registered."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shopcrm.config import Config
from shopcrm.models import User
from shopcrm.plugins import reset_plugin_manager
from shopcrm.web import create_app
from web_support import PASSWORD, login, text

HELLO = '''
from flask import Blueprint
from shopcrm import hookimpl

pages = Blueprint("hello_pages", __name__)


@pages.route("/")
def index():
    return "hello from the plugin"


@hookimpl
def register_blueprints():
    return [pages]


@hookimpl
def menu_items(user):
    return [("Hello", "/plugins/hello/")]


@hookimpl
def startup(app):
    app.config["HELLO_STARTED"] = True
'''

BROKEN = '''
from shopcrm import hookimpl


@hookimpl
def register_blueprints():
    raise RuntimeError("broken blueprints")


@hookimpl
def menu_items(user):
    raise RuntimeError("broken menu")
'''


@pytest.fixture
def plugin_app(config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "hello.py").write_text(HELLO)
    (folder / "broken.py").write_text(BROKEN)
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(folder))
    reset_plugin_manager()
    app = create_app(config)
    app.config["TESTING"] = True
    return app


def test_plugin_pages_are_mounted_under_their_name_and_need_a_login(
    plugin_app: Flask, admin: User
) -> None:
    client = plugin_app.test_client()
    response = client.get("/plugins/hello/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    login(client, "boss", PASSWORD)
    assert text(client.get("/plugins/hello/")) == "hello from the plugin"


def test_plugin_menu_entries_join_the_navigation_and_a_broken_plugin_is_left_out(
    plugin_app: Flask, admin: User, caplog: pytest.LogCaptureFixture
) -> None:
    client = plugin_app.test_client()
    login(client, "boss", PASSWORD)
    with caplog.at_level(logging.ERROR):
        page = text(client.get("/"))
    assert '<a href="/plugins/hello/">Hello</a>' in page
    assert '<a href="/" aria-current="page">仪表盘</a>' in page
    assert "plugin 'broken' failed in hook menu_items" in caplog.text


def test_startup_runs_once_the_app_is_built(plugin_app: Flask) -> None:
    assert plugin_app.config["HELLO_STARTED"] is True
    assert "hello_pages" in plugin_app.blueprints


def test_the_plugins_page_lists_every_plugin_with_its_hooks(plugin_app: Flask, admin: User) -> None:
    client = plugin_app.test_client()
    login(client, "boss", PASSWORD)
    page = text(client.get("/admin/plugins"))
    for name in ("default_menu", "default_variables", "hello", "broken"):
        assert f'id="plugin-{name}"' in page
    hello = page.split('id="plugin-hello"', 1)[1].split("</tr>", 1)[0]
    assert "插件目录" in hello and "register_blueprints" in hello and "startup" in hello
    variables = page.split('id="plugin-default_variables"', 1)[1].split("</tr>", 1)[0]
    assert "内置" in variables and "模板变量" in variables and "shop" in variables


def test_the_menu_marks_the_current_page(admin_client: FlaskClient) -> None:
    page = text(admin_client.get("/admin/users"))
    assert '<a href="/admin/users" aria-current="page">用户</a>' in page
    assert '<a href="/" aria-current="page">' not in page
