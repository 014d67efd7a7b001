"""``shopcrm plugin new``: the files of a new plugin distribution, ready to install and test.

A scaffold is a distribution ``shopcrm-<name>`` with one import package ``shopcrm_<name>``
declared in the entry-point group ``shopcrm`` (so it loads as soon as it is installed), a
working starting implementation of one kind of plugin, a README, and tests that pass once the
distribution is installed. The files are built from the templates in ``plugin_templates/``,
whose ``{{placeholders}}`` are filled by plain text replacement (the code they hold uses
``${...}`` for message templates, so a template language would get in the way).
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Collection, Mapping

from shopcrm import __version__

KINDS: dict[str, str] = {
    "variable": "a template variable, ${<name>}: how many orders the customer has placed",
    "source": "a data source that imports orders from a JSON Lines file",
    "segmenter": "a segmenter that labels customers 'buyer' or 'prospect', in SQL",
    "trigger": "a trigger that thanks a buyer the day after an order is signed for",
    "channel": "a channel that appends each message to a log file",
    "page": "a page with a menu item and a panel on each customer's page",
}
"""The kinds of plugin a scaffold can start as, with what the generated code does."""

DEFAULT_KIND = "variable"

REGISTERS: dict[str, str] = {
    "variable": "template_variables", "source": "data_sources", "segmenter": "segmenters",
    "trigger": "triggers", "channel": "channels",
}
"""The registry kind (:meth:`shopcrm.registry.Registry.kinds`) in which each kind's object is
registered under the plugin's name; a page registers a Flask blueprint of that name."""

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NAME_LENGTH = 40

TEMPLATES = "plugin_templates"


class ScaffoldError(ValueError):
    """The plugin cannot be scaffolded as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Scaffold:
    """What ``plugin new`` writes: file contents by path, relative to the new folder."""

    name: str
    kind: str
    files: dict[str, str]

    @property
    def distribution(self) -> str:
        return distribution_name(self.name)

    @property
    def package(self) -> str:
        return package_name(self.name)


def distribution_name(name: str) -> str:
    return "shopcrm-" + name.replace("_", "-")


def package_name(name: str) -> str:
    return f"shopcrm_{name}"


def check_name(name: str, taken: Collection[str] = (), claimed: Mapping[str, str] | None = None) -> None:
    """Refuse a plugin name that is not a lowercase identifier, is already a plugin's name
    (``taken``), or names something the scaffold would register that another already holds
    (``claimed``: name -> who holds it, e.g. "the template variable 'shop' of 'default_variables'")."""
    if not NAME_PATTERN.match(name):
        raise ScaffoldError(
            f"{name!r} is not a valid plugin name: use lowercase letters, digits and underscores, "
            "starting with a letter (e.g. 'gift_cards')"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(f"the plugin name {name!r} is longer than {MAX_NAME_LENGTH} characters")
    if keyword.iskeyword(name) or name.endswith("_"):
        raise ScaffoldError(f"{name!r} cannot be a plugin name: it is a Python keyword or ends with '_'")
    canonical = {re.sub(r"[-_.]+", "_", other).lower() for other in taken}
    if name in canonical:
        raise ScaffoldError(f"a plugin named {name!r} is already installed or built in; choose another name")
    if claimed and name in claimed:
        raise ScaffoldError(f"the new plugin would register {name!r}, which is already {claimed[name]}; "
                            "choose another name")


def camel_case(name: str) -> str:
    """``gift_cards`` -> ``GiftCards``, for class names."""
    return "".join(part.capitalize() for part in name.split("_") if part)


def _template(filename: str) -> str:
    return resources.files("shopcrm").joinpath(TEMPLATES, filename).read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    left = re.search(r"\{\{\w+\}\}", text)
    if left:  # a template names a placeholder nobody fills: a bug in the templates
        raise RuntimeError(f"unfilled placeholder {left.group(0)} in a plugin template")
    return text


def build(name: str, kind: str = DEFAULT_KIND) -> Scaffold:
    """The files of a new plugin ``name`` of ``kind`` (the name is not checked here)."""
    if kind not in KINDS:
        raise ScaffoldError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    package = package_name(name)
    values = {
        "name": name,
        "Name": camel_case(name),
        "package": package,
        "dist": distribution_name(name),
        "kind": kind,
        "what": KINDS[kind].replace("<name>", name),
        "shopcrm_version": __version__,
    }
    files = {
        "pyproject.toml": _fill(_template("pyproject.toml.tmpl"), values),
        "README.md": _fill(_template("README.md.tmpl"), values),
        f"{package}/__init__.py": _fill(_template(f"{kind}.py.tmpl"), values),
        "tests/conftest.py": _fill(_template("conftest.py.tmpl"), values),
        f"tests/test_{name}.py": _fill(_template(f"test_{kind}.py.tmpl"), values),
    }
    return Scaffold(name=name, kind=kind, files=files)


def write(scaffold: Scaffold, directory: Path) -> list[Path]:
    """Write the scaffold into ``directory``, which must be missing or empty; the paths written."""
    if directory.exists():
        if not directory.is_dir():
            raise ScaffoldError(f"{str(directory)!r} exists and is not a folder")
        if any(directory.iterdir()):
            raise ScaffoldError(f"{str(directory)!r} is not empty; choose another --directory")
    written = []
    for relative, text in scaffold.files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
