"""Helpers that install throw-away plugins for tests: loose files and entry-point distributions."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest


def write_plugin_file(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def install_entry_point_plugin(
    site: Path, monkeypatch: pytest.MonkeyPatch, dist: str, ep_name: str, module: str, source: str,
    version: str = "1.2.3",
) -> None:
    """Make ``dist`` (with module ``module`` and entry point ``ep_name``) importable and
    discoverable through ``importlib.metadata``, as ``pip install`` would."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[shopcrm]\n{ep_name} = {module}\n")
    if str(site) not in sys.path:
        monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, module, raising=False)
