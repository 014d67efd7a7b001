"""Where the worked examples of docs/plugins.md live: one plugin distribution per folder."""
from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
"""docs/examples: ``<name>/pyproject.toml`` and ``<name>/shopcrm_<name>/`` for each example."""
