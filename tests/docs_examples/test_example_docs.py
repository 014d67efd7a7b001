"""The worked examples in docs/plugins.md are the files in docs/examples, word for word, so the
page cannot drift from the code the other tests here exercise."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from example_support import EXAMPLES

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
