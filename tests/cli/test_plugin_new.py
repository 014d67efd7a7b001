"""`shopcrm plugin new NAME`: a plugin distribution that installs with pip, loads at once, and
whose own tests pass; names and folders it must refuse."""
from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner, Result

from shopcrm.cli import build_cli
from shopcrm.plugin_scaffold import KINDS, ScaffoldError, build, check_name
from shopcrm.plugins import reset_plugin_manager
from tests.fresh_venv import FreshVenv, make_fresh_venv

REGISTERED_KIND = {"variable": "template_variables", "source": "data_sources", "segmenter": "segmenters",
                   "trigger": "triggers", "channel": "channels"}
"""What each kind registers, as ``shopcrm plugins --json`` names it (a page registers no object)."""


def plugin_new(*args: str) -> Result:
    reset_plugin_manager()
    return CliRunner().invoke(build_cli(), ["plugin", "new", *args], catch_exceptions=False)


def test_the_scaffold_declares_its_package_as_an_entry_point(tmp_path: Path) -> None:
    result = plugin_new("gift_cards", "--directory", str(tmp_path / "gc"))
    assert result.exit_code == 0, result.output
    project = tomllib.loads((tmp_path / "gc" / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == "shopcrm-gift-cards"
    assert project["project"]["entry-points"]["shopcrm"] == {"gift_cards": "shopcrm_gift_cards"}
    assert project["project"]["dependencies"] == ["shopcrm>=0.1.0"]
    assert project["tool"]["setuptools"]["packages"] == ["shopcrm_gift_cards"]
    assert sorted(str(p.relative_to(tmp_path / "gc")) for p in (tmp_path / "gc").rglob("*") if p.is_file()) == [
        "README.md", "pyproject.toml", "shopcrm_gift_cards/__init__.py", "tests/conftest.py",
        "tests/test_gift_cards.py"]
    assert "shopcrm plugins" in result.output


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_is_python_with_hook_implementations_and_a_test(kind: str) -> None:
    scaffold = build("gift_cards", kind)
    package = ast.parse(scaffold.files["shopcrm_gift_cards/__init__.py"])
    hooks = [node.name for node in package.body if isinstance(node, ast.FunctionDef)
             and any(ast.unparse(d) == "hookimpl" for d in node.decorator_list)]
    assert hooks, f"the {kind} scaffold implements no hook"
    test = ast.parse(scaffold.files["tests/test_gift_cards.py"])
    assert [n.name for n in test.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert not re.search(r"\{\{\w+\}\}", "".join(scaffold.files.values())), "a placeholder was left unfilled"


def test_the_default_directory_is_named_after_the_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert plugin_new("gift_cards").exit_code == 0
    assert (tmp_path / "shopcrm-gift-cards" / "shopcrm_gift_cards" / "__init__.py").is_file()


@pytest.mark.parametrize("name, reason", [
    ("GiftCards", "not a valid plugin name"),
    ("gift-cards", "not a valid plugin name"),
    ("2cards", "not a valid plugin name"),
    ("class", "Python keyword"),
    ("sms_mock", "already installed or built in"),
    ("default_menu", "already installed or built in"),
    ("x" * 41, "longer than 40 characters"),
    ("shop", "already the template variable 'shop' of the plugin 'default_variables'"),
    ("file --kind source", "already the data source 'file' of the plugin 'default_files'"),
    ("signed --kind trigger", "already the trigger 'signed' of the plugin 'lifecycle'"),
    ("customers --kind page", "already the name of the core's 'customers' pages"),
])
def test_bad_or_taken_names_are_refused_with_the_reason(tmp_path: Path, name: str, reason: str) -> None:
    name, *kind = name.split()
    result = plugin_new(name, *kind, "--directory", str(tmp_path / "p"))
    assert result.exit_code == 1 and reason in result.output and repr(name) in result.output
    assert not (tmp_path / "p").exists()


def test_a_folder_that_is_not_empty_is_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    result = plugin_new("gift_cards", "--directory", str(folder))
    assert result.exit_code == 1 and "is not empty" in result.output
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "keep me"
    assert plugin_new("gift_cards", "--directory", str(tmp_path / "empty")).exit_code == 0
    (tmp_path / "elsewhere").mkdir()
    assert plugin_new("gift_cards", "--directory", str(tmp_path / "elsewhere")).exit_code == 0


def test_an_unknown_kind_is_a_usage_error(tmp_path: Path) -> None:
    result = plugin_new("gift_cards", "--kind", "fax", "--directory", str(tmp_path / "p"))
    assert result.exit_code == 2 and "'fax' is not one of" in result.output


def test_a_name_only_another_kind_holds_is_free(tmp_path: Path) -> None:
    assert plugin_new("customers", "--kind", "trigger", "--directory", str(tmp_path / "p")).exit_code == 0


def test_names_compare_like_pip_compares_them() -> None:
    with pytest.raises(ScaffoldError, match="already installed"):
        check_name("gift_cards", {"gift-cards"})
    check_name("gift_cards", {"gift_card"})


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FreshVenv, dict[str, Path]]]:
    """One scaffold of every kind, installed with pip into a fresh virtual environment."""
    root = tmp_path_factory.mktemp("scaffolds")
    projects = {}
    for kind in KINDS:
        projects[kind] = root / f"shopcrm-new-{kind}"
        result = plugin_new(f"new_{kind}", "--kind", kind, "--directory", str(projects[kind]))
        assert result.exit_code == 0, result.output
    venv = make_fresh_venv(root / "venv")
    venv.pip_install(*projects.values())
    yield venv, projects
    reset_plugin_manager()


def test_installed_scaffolds_are_listed_by_shopcrm_plugins(installed: tuple[FreshVenv, dict[str, Path]]) -> None:
    venv, _ = installed
    done = venv.run("-m", "shopcrm", "plugins", "--json")
    assert done.returncode == 0, done.stderr
    plugins = {plugin["name"]: plugin for plugin in json.loads(done.stdout)}
    for kind in KINDS:
        plugin = plugins[f"new_{kind}"]
        assert (plugin["source"], plugin["version"]) == ("entrypoint", "0.1.0")
        if kind in REGISTERED_KIND:
            assert plugin["registered"][REGISTERED_KIND[kind]] == [f"new_{kind}"]
    assert plugins["new_page"]["hooks"] == ["customer_panels", "menu_items", "register_blueprints"]
    text = venv.run("-m", "shopcrm", "plugins")
    assert "new_variable 0.1.0 (entrypoint)" in text.stdout


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_scaffolds_own_tests_pass_once_installed(installed: tuple[FreshVenv, dict[str, Path]], kind: str) -> None:
    venv, projects = installed
    done = venv.run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=projects[kind])
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "failed" not in done.stdout and "skipped" not in done.stdout
