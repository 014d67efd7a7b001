"""The plugin manager: discovery, selection, loose files, pending hooks, isolation."""
from __future__ import annotations

import logging
from pathlib import Path

import pluggy
import pytest

from shopcrm.plugins import PluginError, build_plugin_manager, call_each, get_plugin_manager, plugin_infos
from tests.plugin_fixtures import install_entry_point_plugin, write_plugin_file

MENU_PLUGIN = """
from shopcrm import hookimpl

@hookimpl
def menu_items(user):
    return [("Hello", "/hello")]
"""


def names(pm: pluggy.PluginManager) -> set[str]:
    return {name for name, _ in pm.list_name_plugin()}


def test_default_plugins_are_always_loaded(config, monkeypatch):
    monkeypatch.setenv("SHOPCRM_PLUGINS", "")
    pm = build_plugin_manager()
    assert {"default_menu", "default_variables"} <= names(pm)


def test_entry_point_plugins_are_discovered_with_their_version(config, tmp_path, monkeypatch):
    install_entry_point_plugin(tmp_path / "site", monkeypatch, "shopcrm-hello", "hello",
                               "shopcrm_hello", MENU_PLUGIN, version="2.0.1")
    pm = build_plugin_manager()
    assert "hello" in names(pm)
    info = next(i for i in plugin_infos(pm) if i.name == "hello")
    assert (info.version, info.source, info.hooks) == ("2.0.1", "entrypoint", ("menu_items",))


def test_shopcrm_plugins_selects_a_subset(config, tmp_path, monkeypatch):
    site = tmp_path / "site"
    install_entry_point_plugin(site, monkeypatch, "shopcrm-one", "one", "shopcrm_one", MENU_PLUGIN)
    install_entry_point_plugin(site, monkeypatch, "shopcrm-two", "two", "shopcrm_two", MENU_PLUGIN)
    assert {"one", "two"} <= names(build_plugin_manager())
    only_one = build_plugin_manager(plugins="one")
    assert "one" in names(only_one) and "two" not in names(only_one)
    by_distribution = build_plugin_manager(plugins="shopcrm-two")
    assert "two" in names(by_distribution) and "one" not in names(by_distribution)


def test_shopcrm_plugins_naming_a_missing_plugin_is_an_error(config):
    with pytest.raises(PluginError, match="not installed: nosuch"):
        build_plugin_manager(plugins="nosuch")


def test_loose_files_in_plugins_dir_are_loaded(config, tmp_path):
    write_plugin_file(tmp_path / "loose", "greeter", MENU_PLUGIN)
    pm = build_plugin_manager(plugins_dir=str(tmp_path / "loose"))
    assert "greeter" in names(pm)
    assert next(i for i in plugin_infos(pm) if i.name == "greeter").source == "directory"


def test_plugins_dir_that_is_not_a_folder_is_a_clear_error(config, tmp_path):
    with pytest.raises(PluginError, match="is not a folder"):
        build_plugin_manager(plugins_dir=str(tmp_path / "missing"))


def test_misspelled_hook_fails_loudly(config, tmp_path):
    write_plugin_file(tmp_path / "loose", "typo", """
        from shopcrm import hookimpl

        @hookimpl
        def register_chanels():
            return []
    """)
    with pytest.raises(pluggy.PluginValidationError, match="register_chanels"):
        build_plugin_manager(plugins_dir=str(tmp_path / "loose"))


def test_plugin_that_fails_to_import_is_named(config, tmp_path):
    write_plugin_file(tmp_path / "loose", "broken", "raise RuntimeError('boom')\n")
    with pytest.raises(PluginError, match="broken.py.*failed to import: boom"):
        build_plugin_manager(plugins_dir=str(tmp_path / "loose"))


def test_a_failing_hook_is_logged_with_its_plugin_and_skipped(config, tmp_path, monkeypatch, caplog):
    write_plugin_file(tmp_path / "loose", "good", MENU_PLUGIN)
    write_plugin_file(tmp_path / "loose", "bad", """
        from shopcrm import hookimpl

        @hookimpl
        def menu_items(user):
            raise ValueError("bad plugin")
    """)
    monkeypatch.setenv("SHOPCRM_PLUGINS", "")
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(tmp_path / "loose"))
    from shopcrm.plugins import reset_plugin_manager

    reset_plugin_manager()

    class Admin:
        def can(self, role):
            return False

    # default_menu needs a request context; call only the loose plugins' implementations.
    pm = get_plugin_manager()
    pm.unregister(name="default_menu")
    with caplog.at_level(logging.ERROR, logger="shopcrm.plugins"):
        results = dict(call_each("menu_items", user=Admin()))
    assert results == {"good": [("Hello", "/hello")]}
    assert "plugin 'bad' failed in hook menu_items" in caplog.text
    assert "bad plugin" in caplog.text


def test_a_yielding_hook_that_fails_midway_is_isolated(config, tmp_path, monkeypatch, caplog):
    write_plugin_file(tmp_path / "loose", "gen", """
        from shopcrm import hookimpl

        @hookimpl
        def register_migrations():
            yield "first"
            raise KeyError("midway")
    """)
    monkeypatch.setenv("SHOPCRM_PLUGINS", "")  # only the loose file: installed plugins have migrations too
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(tmp_path / "loose"))
    from shopcrm.plugins import reset_plugin_manager

    reset_plugin_manager()
    with caplog.at_level(logging.ERROR):
        assert [p for p, _ in call_each("register_migrations")] == []
    assert "plugin 'gen' failed in hook register_migrations" in caplog.text


def test_a_loose_file_named_like_a_loaded_plugin_is_refused(config, tmp_path):
    write_plugin_file(tmp_path / "loose", "default_menu", MENU_PLUGIN)
    with pytest.raises(PluginError, match="named like the already loaded plugin 'default_menu'"):
        build_plugin_manager(plugins_dir=str(tmp_path / "loose"))


def test_two_distributions_declaring_one_entry_point_name_are_refused(config, tmp_path, monkeypatch):
    install_entry_point_plugin(tmp_path / "a", monkeypatch, "shopcrm-dup-a", "dup", "dup_a", MENU_PLUGIN)
    install_entry_point_plugin(tmp_path / "b", monkeypatch, "shopcrm-dup-b", "dup", "dup_b", MENU_PLUGIN)
    with pytest.raises(PluginError, match="two installed distributions declare the plugin 'dup'"):
        build_plugin_manager()


def test_plugin_manager_is_cached_until_reset(config):
    from shopcrm.plugins import reset_plugin_manager

    first = get_plugin_manager()
    assert get_plugin_manager() is first
    reset_plugin_manager()
    assert get_plugin_manager() is not first


def test_plugins_dir_plugin_file_path_in_error(config, tmp_path: Path):
    folder = tmp_path / "loose"
    write_plugin_file(folder, "syntax", "def oops(:\n")
    with pytest.raises(PluginError, match=r"syntax\.py"):
        build_plugin_manager(plugins_dir=str(folder))


def test_shopcrm_plugins_names_compare_like_pip(config, tmp_path, monkeypatch):
    install_entry_point_plugin(tmp_path / "site", monkeypatch, "shopcrm-hello", "hello",
                               "shopcrm_hello", MENU_PLUGIN)
    assert "hello" in names(build_plugin_manager(plugins="Shopcrm_Hello"))


def test_tryfirst_and_trylast_order_call_each(config, tmp_path, monkeypatch):
    for name, mark in (("a_last", "trylast=True"), ("b_plain", ""), ("c_first", "tryfirst=True")):
        write_plugin_file(tmp_path / "loose", name, f"""
            from shopcrm import hookimpl

            @hookimpl({mark})
            def register_migrations():
                return None
        """)
    monkeypatch.setenv("SHOPCRM_PLUGINS", "")  # only the loose files, not the installed plugins
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(tmp_path / "loose"))
    from shopcrm.plugins import reset_plugin_manager

    reset_plugin_manager()
    assert [p for p, _ in call_each("register_migrations")] == ["c_first", "b_plain", "a_last"]


def test_strict_calls_name_the_failing_plugin(config, tmp_path, monkeypatch):
    write_plugin_file(tmp_path / "loose", "fragile", """
        from shopcrm import hookimpl

        @hookimpl
        def register_migrations():
            raise OSError("disk gone")
    """)
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(tmp_path / "loose"))
    from shopcrm.plugins import reset_plugin_manager

    reset_plugin_manager()
    with pytest.raises(PluginError, match="plugin 'fragile' failed in hook register_migrations: disk gone"):
        list(call_each("register_migrations", strict=True))
