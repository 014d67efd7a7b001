"""The worked examples in docs/plugins.md are the files in docs/examples, word for word, so the
page cannot drift from the code the other tests here exercise; and the example of each hook's
own section loads as a plugin implementing that hook."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from example_support import EXAMPLES
from shopcrm.plugins import build_plugin_manager

ROOT = EXAMPLES.parent.parent
DOCS = ROOT / "docs" / "plugins.md"
SHOWN = re.compile(r"^<!-- file: (?P<path>\S+) -->\n```\w*\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
HERE = Path(__file__).resolve().parent


def shown() -> dict[str, str]:
    """Path -> the code block that follows its ``<!-- file: path -->`` marker in docs/plugins.md."""
    blocks: dict[str, str] = {}
    for match in SHOWN.finditer(DOCS.read_text(encoding="utf-8")):
        assert match["path"] not in blocks, f"{match['path']} is shown twice"
        blocks[match["path"]] = match["body"]
    return blocks


EXAMPLE_NAMES = sorted(path.name for path in EXAMPLES.iterdir() if (path / "pyproject.toml").is_file())


def test_the_examples_are_found() -> None:
    assert len(EXAMPLE_NAMES) == 7 and len(shown()) >= 9


@pytest.mark.parametrize("path", sorted(shown()))
def test_a_shown_file_is_the_file(path: str) -> None:
    assert (ROOT / path).is_file(), f"docs/plugins.md shows {path}, which does not exist"
    assert shown()[path] == (ROOT / path).read_text(encoding="utf-8"), (
        f"the code shown for {path} in docs/plugins.md differs from the file: copy the file into the page"
    )


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_module_is_shown_and_tested(name: str) -> None:
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (EXAMPLES / name).rglob("*.py"))
    assert modules, f"the example {name} has no code"
    assert set(modules) <= set(shown()), f"docs/plugins.md does not show {set(modules) - set(shown())}"
    assert (HERE / f"test_example_{name}.py").is_file(), f"the example {name} has no test_example_{name}.py"


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_pyprojects_differ_only_in_the_names(name: str) -> None:
    model = shown()["docs/examples/jsonl_orders/pyproject.toml"]
    expected = model.replace("jsonl-orders", name.replace("_", "-")).replace("jsonl_orders", name)
    assert (EXAMPLES / name / "pyproject.toml").read_text(encoding="utf-8") == expected


def hook_section_examples() -> dict[str, str]:
    """``hook name -> the Python example of its section`` under "## Hooks"."""
    text = DOCS.read_text(encoding="utf-8")
    hooks = text[text.index("\n## Hooks\n"):text.index("\n## Worked examples\n")]
    examples = {}
    for section in re.split(r"^### ", hooks, flags=re.MULTILINE)[1:]:
        name = section.split("(", 1)[0]
        code = re.search(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
        if code and "@hookimpl" in code[1]:
            examples[name] = code[1]
    return examples


@pytest.mark.parametrize("hook", sorted(hook_section_examples()))
def test_a_hook_sections_example_loads_as_a_plugin(hook: str, tmp_path: Path) -> None:
    folder = tmp_path / "loose"
    folder.mkdir()
    (folder / f"example_{hook}.py").write_text(hook_section_examples()[hook], encoding="utf-8")
    pm = build_plugin_manager(plugins="", plugins_dir=str(folder))
    assert [impl.plugin_name for impl in getattr(pm.hook, hook).get_hookimpls()
            if impl.plugin_name == f"example_{hook}"] == [f"example_{hook}"]


def test_every_hook_section_has_an_example_that_loads() -> None:
    hooks = {name for name in vars(build_plugin_manager(plugins="").hook) if not name.startswith("_")}
    assert set(hook_section_examples()) == hooks
