"""A fresh virtual environment that sees the ShopCRM under test, to install plugin distributions
into with pip, as their authors will, and run `shopcrm` and pytest from there.

The new environment has no packages of its own. A ``.pth`` file adds this interpreter's
site-packages as a site folder (its own ``.pth`` files included, so ShopCRM's editable install
and the bundled plugins resolve as here, and pip, setuptools and pytest come from there too).
Distributions go in with ``--no-deps --no-build-isolation``: nothing is downloaded.
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

CLEARED = ("DATABASE_URL", "REDIS_URL", "SHOPCRM_PLUGINS", "SHOPCRM_PLUGINS_DIR", "SHOPCRM_INSTANCE",
           "PYTHONPATH", "VIRTUAL_ENV")


@dataclass(frozen=True, slots=True)
class FreshVenv:
    folder: Path
    instance: Path

    @property
    def python(self) -> Path:
        return self.folder / "bin" / "python"

    def env(self, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in CLEARED}
        return {**env, "SHOPCRM_INSTANCE": str(self.instance), "PYTHONDONTWRITEBYTECODE": "1", **extra}

    def run(self, *args: str | Path, cwd: Path | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
        """``python ARGS`` in the environment; the output is kept for the assertion messages."""
        return subprocess.run([str(self.python), *map(str, args)], cwd=cwd, env=self.env(**extra),
                              capture_output=True, text=True, timeout=600)

    def pip_install(self, *projects: Path) -> None:
        done = self.run("-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                        "--no-index", *projects)
        assert done.returncode == 0, done.stdout + done.stderr


def make_fresh_venv(folder: Path) -> FreshVenv:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    parent = sysconfig.get_paths()["purelib"]
    Path(purelib, "shopcrm_under_test.pth").write_text(f"import site; site.addsitedir({parent!r})\n")
    instance = folder.parent / "instance"
    instance.mkdir(exist_ok=True)
    return FreshVenv(folder=folder, instance=instance)
