"""Links from the funnel to the segment builder, with rules that select a stage."""
from __future__ import annotations

import json
from urllib.parse import urlencode

SEGMENT_BUILDER = "/segments/new"
"""The core's segment builder; it opens with the rules given as ``?rules=<JSON>``."""


def stage_rules(value: str) -> dict[str, object]:
    """Segment rules for the customers in life stage ``value``."""
    return {"all": [{"field": "label.lifecycle", "op": "=", "value": value}]}


def segment_url(rules: dict[str, object]) -> str:
    """The segment builder's address, opened with ``rules``."""
    return f"{SEGMENT_BUILDER}?{urlencode({'rules': json.dumps(rules, ensure_ascii=False)})}"


__all__ = ["SEGMENT_BUILDER", "segment_url", "stage_rules"]
