"""The `shopcrm` command line: database, users, plugins, demo."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select

from shopcrm import migrate
from shopcrm.accounts import authenticate
from shopcrm.cli import build_cli
from shopcrm.config import load_config
from shopcrm.db import get_engine, scratch_database, session_scope
from shopcrm.models import AuditLog, Shop, User
from shopcrm.plugins import reset_plugin_manager
from tests.plugin_fixtures import write_plugin_file

SHOPCRM = os.path.join(os.path.dirname(sys.executable), "shopcrm")


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(build_cli(), list(args), input=input, catch_exceptions=False)
    return result


@pytest.fixture
def empty_database(tmp_path, monkeypatch, config):
    """A new instance folder with a database that has never been migrated (SQLite or PostgreSQL)."""
    monkeypatch.setenv("SHOPCRM_INSTANCE", str(tmp_path / "fresh"))
    server = None if config.is_sqlite else config.database_url
    with scratch_database(server, str(tmp_path / "fresh"), f"shopcrm_fresh_{os.getpid()}") as url:
        if config.is_sqlite:  # the default location: DATABASE_URL unset
            monkeypatch.delenv("DATABASE_URL")
        else:
            monkeypatch.setenv("DATABASE_URL", url)
        yield url


def test_db_upgrade_creates_the_schema_in_a_new_database(empty_database, tmp_path):
    status = run("db", "status")
    assert "applied: nothing" in status.output and "pending: yes" in status.output
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    core_head = migrate.core_head()
    assert f"is up to date ({core_head}" in result.output  # and the heads of installed plugins' branches
    assert "user" in inspect(get_engine(load_config())).get_table_names()
    status = run("db", "status")
    assert f"applied: {core_head}" in status.output and "pending: none" in status.output


def test_commands_refuse_an_unmigrated_database(empty_database):
    result = run("users", "list")
    assert result.exit_code == 1
    assert "run `shopcrm db upgrade` first" in result.output


def test_users_create_reads_the_password_from_stdin_and_audits(config):
    result = run("users", "create", "li.na", "--role", "operator", "--password-stdin", input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    with session_scope(config) as session:
        assert authenticate(session, "li.na", "s3cret-pass").user.role == "operator"
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "user.create"))
        assert entry.target == "user:li.na" and entry.details == {"role": "operator", "via": "cli"}
    listed = json.loads(run("users", "list", "--json").output)
    assert [(u["name"], u["role"]) for u in listed] == [("li.na", "operator")]


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("wang", "short", "at least 8 characters"),
        ("bad name!", "long-enough", "invalid user name 'bad name!'"),
    ],
)
def test_users_create_rejects_bad_input_with_a_clear_message(config, name, password, message):
    result = run("users", "create", name, "--password-stdin", input=password + "\n")
    assert result.exit_code == 1
    assert message in result.output


def test_users_create_refuses_a_duplicate(config):
    run("users", "create", "zhao", "--password-stdin", input="password-1\n")
    result = run("users", "create", "ZHAO", "--password-stdin", input="password-2\n")
    assert result.exit_code == 1 and "already exists" in result.output


def test_users_set_password(config):
    run("users", "create", "qian", "--password-stdin", input="password-1\n")
    assert run("users", "set-password", "qian", "--password-stdin", input="password-2\n").exit_code == 0
    with session_scope(config) as session:
        assert authenticate(session, "qian", "password-2").ok
        assert not authenticate(session, "qian", "password-1").ok
    assert "no user named 'sun'" in run("users", "set-password", "sun", "--password-stdin", input="xxxxxxxx\n").output


def test_plugins_json_lists_default_plugins_with_their_hooks(config):
    plugins = {p["name"]: p for p in json.loads(run("plugins", "--json").output)}
    assert plugins["default_menu"]["hooks"] == ["menu_items"]
    assert plugins["default_menu"]["source"] == "default"
    assert plugins["default_variables"]["registered"] == {
        "template_variables": ["shop", "name", "nickname", "city", "order_id", "items", "amount", "refund_amount",
                               "carrier", "tracking_number", "shipment"]
    }
    assert plugins["default_automations"]["hooks"] == ["on_order_event"]


def test_a_loose_plugin_appears_in_plugins_and_adds_its_command(config, tmp_path, monkeypatch):
    write_plugin_file(tmp_path / "loose", "hello", """
        import click
        from shopcrm import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command()
            @click.argument("who")
            def hello(who):
                click.echo(f"hello {who}")
    """)
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(tmp_path / "loose"))
    reset_plugin_manager()
    plugins = {p["name"]: p for p in json.loads(run("plugins", "--json").output)}
    assert plugins["hello"] == {"name": "hello", "version": None, "source": "directory",
                                "hooks": ["register_commands"], "registered": {}}
    assert run("hello", "世界").output == "hello 世界\n"


def test_a_plugin_name_clash_stops_the_command_line_with_both_names(config, tmp_path):
    source = """
        from shopcrm import hookimpl
        from shopcrm.variables import TemplateVariable

        class Shop(TemplateVariable):
            name = "shop"
            label = "clash"
            def value(self, ctx):
                return ""

        @hookimpl
        def register_template_variables():
            return [Shop()]
    """
    write_plugin_file(tmp_path / "loose", "clasher", source)
    env = {**os.environ, "SHOPCRM_PLUGINS_DIR": str(tmp_path / "loose")}
    result = subprocess.run([SHOPCRM, "plugins"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "'shop' is registered by two plugins: 'default_variables' and 'clasher'" in result.stderr


def fields(output: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in output.strip().splitlines() if ":" in line)


def test_demo_prints_working_admin_credentials_and_names_the_shop(config):
    result = run("demo", "--customers", "50", "--orders", "120")
    assert result.exit_code == 0, result.output
    assert "generated 50 customers, 120 orders" in result.output
    lines = fields(result.output)
    username, password = lines["log in as"].strip(), lines["password"].strip()
    with session_scope(config) as session:
        assert authenticate(session, username, password).user.role == "admin"
        shop = session.scalar(select(Shop))
        assert shop.name == lines["demo shop"].strip() and shop.sms_signature
    # Run again: a new password, still one admin, no second helping of data.
    output = run("demo", "--customers", "50").output
    assert "the demo shop already has 50 customers: no data generated" in output
    again = fields(output)
    with session_scope(config) as session:
        assert session.scalar(select(User).where(User.username == "admin")) is not None
        assert len(session.scalars(select(User)).all()) == 1
        assert authenticate(session, username, again["password"].strip()).ok


def test_db_upgrade_on_the_configured_database_is_idempotent(config):
    assert run("db", "upgrade").exit_code == 0
    assert "user" in inspect(get_engine(config)).get_table_names()


def test_a_plugin_may_not_replace_a_core_command(config, tmp_path):
    write_plugin_file(tmp_path / "loose", "usurper", """
        import click
        from shopcrm import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command()
            def db():
                click.echo("mine now")
    """)
    env = {**os.environ, "SHOPCRM_PLUGINS_DIR": str(tmp_path / "loose")}
    result = subprocess.run([SHOPCRM, "db", "status"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "plugin 'usurper' replaces the command(s) db" in result.stderr


def test_a_misspelled_hook_stops_the_command_line_without_a_traceback(config, tmp_path):
    write_plugin_file(tmp_path / "loose", "typo", """
        from shopcrm import hookimpl

        @hookimpl
        def register_chanels():
            return []
    """)
    env = {**os.environ, "SHOPCRM_PLUGINS_DIR": str(tmp_path / "loose")}
    result = subprocess.run([SHOPCRM, "plugins"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "register_chanels" in result.stderr and "Traceback" not in result.stderr
