"""A package plugin's own catalogue translates its strings; the core's wording stays the core's."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from flask import Flask

from shopcrm.config import Config
from shopcrm.models import User
from shopcrm.plugins import reset_plugin_manager
from shopcrm.web import create_app
from shopcrm.web.catalogues import plugin_translations_folder
from web_support import PASSWORD, login, text

PLUGIN = '''
from flask import Blueprint
from flask_babel import gettext
from shopcrm import hookimpl

pages = Blueprint("hola_pages", __name__)


@pages.route("/")
def index():
    return gettext("Greetings from the plugin") + "|" + gettext("Dashboard")


@hookimpl
def register_blueprints():
    return [pages]
'''

CATALOGUE = '''
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: zh_CN\\n"

msgid "Greetings from the plugin"
msgstr "来自插件的问候"

msgid "Dashboard"
msgstr "插件改过的仪表盘"
'''


def install_package_plugin(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = site / "shopcrm_hola"
    messages = package / "translations" / "zh_CN" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    (messages / "messages.po").write_text(textwrap.dedent(CATALOGUE).lstrip(), encoding="utf-8")
    info = site / "shopcrm_hola-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shopcrm-hola\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[shopcrm]\nhola = shopcrm_hola\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "shopcrm_hola", raising=False)
    return package


@pytest.fixture
def hola_app(config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    install_package_plugin(tmp_path / "site", monkeypatch)
    reset_plugin_manager()
    app = create_app(config)
    app.config["TESTING"] = True
    yield app
    reset_plugin_manager()


def test_a_plugin_page_is_translated_from_the_plugins_own_catalogue(
    hola_app: Flask, admin: User
) -> None:
    client = hola_app.test_client()
    login(client, "boss", PASSWORD)
    greeting, core_word = text(client.get("/plugins/hola/")).split("|")
    assert greeting == "来自插件的问候"
    assert core_word == "仪表盘", "the core's catalogue must win over a plugin's"


def test_the_uncompiled_catalogue_is_compiled_into_the_instance_folder(hola_app: Flask) -> None:
    compiled = Path(hola_app.instance_path) / "translations" / "plugins" / "hola"
    assert (compiled / "zh_CN" / "LC_MESSAGES" / "messages.mo").is_file()


def test_english_users_see_the_plugins_msgids(hola_app: Flask, make_user) -> None:
    make_user("lee", "admin", locale="en")
    client = hola_app.test_client()
    login(client, "lee", PASSWORD)
    assert text(client.get("/plugins/hola/")) == "Greetings from the plugin|Dashboard"


def test_only_package_plugins_have_a_catalogue(tmp_path: Path) -> None:
    import types

    loose = types.ModuleType("loose")
    loose.__file__ = str(tmp_path / "loose.py")
    (tmp_path / "translations").mkdir()
    assert plugin_translations_folder(loose) is None
    package = types.ModuleType("pkg")
    (tmp_path / "pkg" / "translations").mkdir(parents=True)
    package.__file__ = str(tmp_path / "pkg" / "__init__.py")
    assert plugin_translations_folder(package) == tmp_path / "pkg" / "translations"
    assert plugin_translations_folder(object()) is None
