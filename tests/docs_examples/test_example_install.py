"""The worked examples install with pip, as their readers will, and `shopcrm plugins` lists
each with what it registered."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from example_support import EXAMPLES
from tests.fresh_venv import make_fresh_venv

REGISTERED = {
    "jsonl_orders": {"data_sources": ["jsonl_orders"]},
    "big_spenders": {"segmenters": ["big_spenders"]},
    "thank_you": {"triggers": ["thank_you"]},
    "webhook": {"channels": ["webhook"]},
    "customer_facts": {"template_variables": ["province", "orders"]},
    "provinces": {},
    "top_buyers": {},
}
HOOKS = {"provinces": ["customer_panels", "menu_items", "register_blueprints"], "top_buyers": ["register_commands"]}


def test_the_examples_install_and_load(tmp_path: Path) -> None:
    for name in REGISTERED:  # pip builds in the project's folder: not in the source tree
        shutil.copytree(EXAMPLES / name, tmp_path / name)
    venv = make_fresh_venv(tmp_path / "venv")
    venv.pip_install(*(tmp_path / name for name in REGISTERED))
    done = venv.run("-m", "shopcrm", "plugins", "--json")
    assert done.returncode == 0, done.stderr
    plugins = {plugin["name"]: plugin for plugin in json.loads(done.stdout)}
    for name, registered in REGISTERED.items():
        assert (plugins[name]["source"], plugins[name]["version"]) == ("entrypoint", "0.1.0")
        assert plugins[name]["registered"] == registered
    for name, hooks in HOOKS.items():
        assert plugins[name]["hooks"] == hooks
    shown = venv.run("-m", "shopcrm", "top-buyers", "--help")
    assert shown.returncode == 0 and "show" in shown.stdout
