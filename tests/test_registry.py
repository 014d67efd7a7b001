"""The registry: what plugins registered, with names unique across plugins."""
from __future__ import annotations

import pytest

from shopcrm.plugins import PluginError, reset_plugin_manager
from shopcrm.registry import build_registry, get_registry
from tests.plugin_fixtures import write_plugin_file

CHANNEL_PLUGIN = """
from shopcrm import hookimpl
from shopcrm.channels import Channel, SendResult

class Pigeon(Channel):
    name = "{name}"
    label = "Pigeon post"

    def send_batch(self, messages, settings):
        return [SendResult(m.id, "accepted") for m in messages]

@hookimpl
def register_channels():
    return [Pigeon()]
"""


@pytest.fixture
def loose(tmp_path, monkeypatch):
    folder = tmp_path / "loose"
    folder.mkdir()
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(folder))
    monkeypatch.setenv("SHOPCRM_PLUGINS", "")  # only the loose files: bundled plugins register channels too
    reset_plugin_manager()
    return folder


def test_default_template_variables_are_registered(config):
    registry = get_registry()
    assert {"shop", "name", "nickname", "order_id"} <= set(registry.template_variables.items)
    assert registry.template_variables.owners["shop"] == "default_variables"


def test_registered_objects_are_found_by_name_and_plugin(config, loose):
    write_plugin_file(loose, "pigeon", CHANNEL_PLUGIN.format(name="pigeon"))
    registry = build_registry()
    assert registry.channels["pigeon"].label == "Pigeon post"
    assert registry.registered_by("pigeon") == {"channels": ["pigeon"]}


def test_a_name_clash_names_both_plugins(config, loose):
    write_plugin_file(loose, "alpha", CHANNEL_PLUGIN.format(name="pigeon"))
    write_plugin_file(loose, "beta", CHANNEL_PLUGIN.format(name="pigeon"))
    with pytest.raises(PluginError, match="'pigeon' is registered by two plugins: '(alpha|beta)' and '(alpha|beta)'"):
        build_registry()


def test_an_unknown_name_lists_the_known_ones(config, loose):
    write_plugin_file(loose, "pigeon", CHANNEL_PLUGIN.format(name="pigeon"))
    with pytest.raises(KeyError, match="no channel named 'owl' \\(known: pigeon\\)"):
        build_registry().channels["owl"]


def test_an_object_without_a_name_is_refused(config, loose):
    write_plugin_file(loose, "nameless", """
        from shopcrm import hookimpl

        @hookimpl
        def register_segmenters():
            return [object()]
    """)
    with pytest.raises(PluginError, match="'nameless' registered a segmenter without a name"):
        build_registry()


def test_a_failing_registry_hook_contributes_nothing(config, loose, caplog):
    write_plugin_file(loose, "pigeon", CHANNEL_PLUGIN.format(name="pigeon"))
    write_plugin_file(loose, "crash", """
        from shopcrm import hookimpl

        @hookimpl
        def register_channels():
            raise RuntimeError("no channels today")
    """)
    registry = build_registry()
    assert list(registry.channels.items) == ["pigeon"]
    assert "plugin 'crash' failed in hook register_channels" in caplog.text
