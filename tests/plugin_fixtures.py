"""Helpers that install throw-away plugins for tests: loose files and entry-point distributions."""
from __future__ import annotations

import sys
import textwrap
import tomllib
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


def install_project(site: Path, monkeypatch: pytest.MonkeyPatch, project: Path) -> list[str]:
    """Make the plugin distribution in the folder ``project`` (its ``pyproject.toml`` beside its
    packages) importable and discoverable as an editable ``pip install`` would: its packages from
    the folder itself, its name, version and ``shopcrm`` entry points from its ``pyproject.toml``.
    Returns the entry-point names, the plugins it declares."""
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    entry_points = metadata["entry-points"]["shopcrm"]
    site.mkdir(parents=True, exist_ok=True)
    info = site / f"{metadata['name'].replace('-', '_')}-{metadata['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {metadata['name']}\nVersion: {metadata['version']}\n")
    (info / "entry_points.txt").write_text(
        "[shopcrm]\n" + "".join(f"{name} = {module}\n" for name, module in entry_points.items()))
    for path in (str(project), str(site)):
        if path not in sys.path:
            monkeypatch.syspath_prepend(path)
    return list(entry_points)
