"""Segment rules as pages receive them: JSON text from a form or a link, checked by the core.

The builder posts its rules as JSON text (the advanced textarea, kept in step with the form by
the builder's script), and other pages link to the builder with ``?rules=<JSON>``. Either way
the text is read here and checked with :func:`shopcrm.saved_segments.check_rules`; anything wrong
becomes a :class:`~shopcrm.segment_rules.RuleError` whose message says where, which the pages
show next to the rules.
"""
from __future__ import annotations

import json
from typing import Any

from shopcrm.customer_search import Filters
from shopcrm.saved_segments import check_rules
from shopcrm.segment_rules import RuleError

EVERYONE: dict[str, Any] = {"all": []}
"""The rules a new segment starts with: no condition, so every customer."""

MAX_RULES_TEXT = 20_000
"""The longest rules text accepted (a very large segment's rules are a few kilobytes)."""


def parse_rules(text: str | None) -> Any:
    """The rules in ``text`` (JSON), checked; :class:`RuleError` when they are not valid."""
    raw = (text or "").strip()
    if not raw:
        raise RuleError("", "no rules: give at least {\"all\": []}")
    if len(raw) > MAX_RULES_TEXT:
        raise RuleError("", f"the rules are longer than {MAX_RULES_TEXT} characters")
    try:
        rules = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RuleError("", f"the rules are not valid JSON ({exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno})") from None
    check_rules(rules)
    return rules


def rules_text(rules: Any) -> str:
    """``rules`` as the textarea shows them: indented JSON, Chinese kept readable."""
    return json.dumps(rules, ensure_ascii=False, indent=2)


def rules_from_filters(filters: Filters) -> dict[str, Any]:
    """The customer list's filters as segment rules that select the same customers."""
    conditions: list[dict[str, Any]] = []
    if filters.province:
        conditions.append({"field": "province", "op": "=", "value": filters.province})
    if filters.min_orders is not None:
        conditions.append({"field": "order_count", "op": ">=", "value": filters.min_orders})
    if filters.max_orders is not None:
        conditions.append({"field": "order_count", "op": "<=", "value": filters.max_orders})
    if filters.bought_within_days is not None:
        conditions.append({"field": "last_order_at", "op": "within_days", "value": filters.bought_within_days})
    if filters.reachable is not None:
        conditions.append({"field": "sms_reachable", "op": "=", "value": filters.reachable})
    return {"all": conditions}
