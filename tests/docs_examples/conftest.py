"""Fixtures for the worked examples of docs/plugins.md: each example plugin distribution in
docs/examples/<name>/ loaded from its own pyproject's entry point into a fresh plugin manager,
on the test database."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from shopcrm.config import Config
from shopcrm.plugins import reset_plugin_manager
from example_support import EXAMPLES
from tests.plugin_fixtures import install_project


@pytest.fixture
def load_examples(config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``load_examples("thank_you", "webhook")``: the next plugin manager loads those example
    plugins too, beside the installed ones (whose migrations the test database has)."""

    def load(*names: str) -> None:
        for name in names:
            assert install_project(tmp_path / "site", monkeypatch, EXAMPLES / name) == [name]
        reset_plugin_manager()

    return load
