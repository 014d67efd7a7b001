"""docs/plugins.md documents every hook with its exact signature, and every contract class.

In the style of datasette's ``test_docs.py``: the hook sections are headings of the form
``### hook_name(arg, ...)``; each hookspec in :mod:`shopcrm.hookspecs` must have one whose
argument list is the hookspec's, and no heading may document a hook that does not exist.
Contract classes have a heading of their own, and their section names every attribute and
method (with the method's arguments in order).
"""
from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pluggy
import pytest

import shopcrm.default_plugins
from shopcrm import PROJECT_NAME, hookspecs
from shopcrm.channels import (
    SEND_STATUSES,
    Channel,
    MessageEvent,
    OutgoingMessage,
    SendResult,
    SettingsField,
)
from shopcrm.segments import LabelInfo, Segmenter
from shopcrm.sources import (
    CustomerRecord,
    DataSource,
    OrderEvent,
    OrderItemRecord,
    OrderRecord,
    OrderStatus,
    ReviewRecord,
    RowError,
)
from shopcrm.triggers import ReviewEvent, ScheduleEvent, Trigger, TriggerTarget
from shopcrm.variables import RenderContext, TemplateVariable

DOCS = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"

HOOK_HEADING = re.compile(r"^### (?P<name>\w+)\((?P<args>[^)]*)\)[ \t]*$", re.MULTILINE)
HEADING = re.compile(r"^(?P<level>#{1,6}) (?P<title>.*?)[ \t]*$", re.MULTILINE)

CONTRACTS: tuple[type, ...] = (
    DataSource, OrderRecord, OrderItemRecord, CustomerRecord, ReviewRecord, RowError, OrderStatus, OrderEvent,
    Segmenter, LabelInfo,
    Trigger, TriggerTarget, ScheduleEvent, ReviewEvent,
    Channel, OutgoingMessage, SendResult, SettingsField, MessageEvent,
    TemplateVariable, RenderContext,
)
"""Every class a plugin author implements, returns or receives."""


def hookspec_functions() -> dict[str, object]:
    """The functions pluggy's marker flagged as hook specifications, by name."""
    marker = f"{PROJECT_NAME}_spec"
    return {name: obj for name, obj in vars(hookspecs).items() if callable(obj) and hasattr(obj, marker)}


HOOKSPECS = hookspec_functions()


def default_plugin_modules() -> list[ModuleType]:
    package = shopcrm.default_plugins
    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


def default_hookimpls() -> list[tuple[str, str]]:
    """``(module.function, hook name)`` of every ``@hookimpl`` in the default plugins."""
    marker = f"{PROJECT_NAME}_impl"
    found = []
    for module in default_plugin_modules():
        for attr, obj in vars(module).items():
            options = getattr(obj, marker, None)
            if options is not None:
                found.append((f"{module.__name__}.{attr}", options.get("specname") or attr))
    return found


@pytest.fixture(scope="module")
def docs() -> str:
    return DOCS.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def documented_hooks(docs: str) -> dict[str, list[str]]:
    hooks: dict[str, list[str]] = {}
    for match in HOOK_HEADING.finditer(docs):
        args = [arg.strip() for arg in match["args"].split(",") if arg.strip()]
        assert match["name"] not in hooks, f"hook {match['name']} is documented twice"
        hooks[match["name"]] = args
    return hooks


def section(docs: str, title: str) -> str:
    """The text under the heading ``title``, up to the next heading of the same level or above."""
    headings = list(HEADING.finditer(docs))
    for i, heading in enumerate(headings):
        if heading["title"] == title:
            level = len(heading["level"])
            end = next(
                (h.start() for h in headings[i + 1:] if len(h["level"]) <= level), len(docs)
            )
            return docs[heading.end():end]
    raise AssertionError(f"docs/plugins.md has no heading {title!r}")


def test_hookspecs_are_found_as_pluggy_sees_them() -> None:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    assert set(HOOKSPECS) == {name for name in vars(pm.hook) if not name.startswith("_")}
    assert HOOKSPECS, "no hookspecs found"


@pytest.mark.parametrize("hook", sorted(HOOKSPECS))
def test_hook_is_documented_with_its_signature(hook: str, documented_hooks: dict[str, list[str]]) -> None:
    assert hook in documented_hooks, f"docs/plugins.md has no '### {hook}(...)' section"
    expected = list(inspect.signature(HOOKSPECS[hook]).parameters)
    assert documented_hooks[hook] == expected, (
        f"docs/plugins.md documents {hook}({', '.join(documented_hooks[hook])}), "
        f"the hookspec is {hook}({', '.join(expected)})"
    )


def test_no_documented_hook_is_missing_from_the_hookspecs(documented_hooks: dict[str, list[str]]) -> None:
    assert set(documented_hooks) - set(HOOKSPECS) == set()


@pytest.mark.parametrize("hook", sorted(HOOKSPECS))
def test_hook_section_has_an_example(hook: str, docs: str, documented_hooks: dict[str, list[str]]) -> None:
    if hook not in documented_hooks:
        pytest.fail(f"docs/plugins.md has no '### {hook}(...)' section")
    title = f"{hook}({', '.join(documented_hooks[hook])})"
    text = section(docs, title)
    assert "```python" in text and f"def {hook}(" in text, f"the {hook} section has no example"


@pytest.mark.parametrize("impl, hook", default_hookimpls(), ids=lambda value: str(value))
def test_default_plugin_implements_a_documented_hook(
    impl: str, hook: str, documented_hooks: dict[str, list[str]]
) -> None:
    assert hook in documented_hooks, f"{impl} implements {hook}, which docs/plugins.md does not document"


def test_default_plugins_implement_hooks() -> None:
    assert default_plugin_modules() and default_hookimpls()


def contract_members(cls: type) -> list[str]:
    """The public attributes and methods of a contract class, as a plugin author sees them."""
    if issubclass(cls, enum.Enum):
        return [member.value for member in cls]
    if dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls)]
    else:
        names = [name for name in inspect.get_annotations(cls) if not name.startswith("_")]
    names += [name for name in contract_methods(cls) if name not in names]
    return names


def contract_methods(cls: type) -> dict[str, list[str]]:
    """Public methods defined on the class itself: ``{name: [argument names without self]}``."""
    if issubclass(cls, enum.Enum):
        return {}
    return {
        name: list(inspect.signature(func).parameters)[1:]
        for name, func in vars(cls).items()
        if inspect.isfunction(func) and not name.startswith("_")
    }


@pytest.mark.parametrize("cls", CONTRACTS, ids=lambda cls: cls.__name__)
def test_contract_class_is_documented(cls: type, docs: str) -> None:
    text = section(docs, cls.__name__)  # a heading of its own
    for member in contract_members(cls):
        assert re.search(rf"`{re.escape(member)}(?=[`:( =])", text), (
            f"the {cls.__name__} section of docs/plugins.md does not mention `{member}`"
        )


@pytest.mark.parametrize(
    "cls", [cls for cls in CONTRACTS if contract_methods(cls)], ids=lambda cls: cls.__name__
)
def test_contract_methods_are_documented_with_their_arguments(cls: type, docs: str) -> None:
    text = section(docs, cls.__name__)
    for method, expected in contract_methods(cls).items():
        match = re.search(rf"`{method}\((?P<args>[^)]*)\)", text)
        assert match, f"the {cls.__name__} section does not show `{method}(...)`"
        documented = [re.split(r"[=:]", arg)[0].strip() for arg in match["args"].split(",") if arg.strip()]
        assert documented == expected, (
            f"{cls.__name__}.{method} is documented as {method}({', '.join(documented)}), "
            f"the code has {method}({', '.join(expected)})"
        )


def test_send_result_statuses_are_each_explained(docs: str) -> None:
    text = section(docs, "SendResult")
    for status in SEND_STATUSES:
        assert re.search(rf"^\| `{status}` \|", text, re.MULTILINE), (
            f"the SendResult section has no table row for the status {status!r}"
        )
