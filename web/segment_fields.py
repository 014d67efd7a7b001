"""What the segment builder offers: each rule field with its operators, value kind and choices.

The fields and the operators each takes come from the core (:data:`shopcrm.segment_rules.FIELDS`
and the registered segmenters), so the builder never offers a combination the rules refuse.
This module adds what a page needs on top: translated names, the kind of value input that suits
the field (a number, a date or "N days", a province, a gender, a month, a segmenter's label
values) and the words the builder's script shows. :func:`builder_catalogue` is handed to the
script as JSON.
"""
from __future__ import annotations

from typing import Any

from babel.dates import get_month_names
from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from shopcrm.labels import segmenters
from shopcrm.regions import PROVINCES
from shopcrm.segment_rules import FIELDS

FIELD_KINDS: dict[str, tuple[Any, str]] = {
    "total_paid": (_l("Total paid"), "money"),
    "order_count": (_l("Paid orders"), "integer"),
    "first_order_at": (_l("First order"), "date"),
    "last_order_at": (_l("Last order"), "date"),
    "province": (_l("Province"), "province"),
    "city": (_l("City"), "text"),
    "gender": (_l("Gender"), "gender"),
    "birthday_month": (_l("Birthday month"), "month"),
    "tag": (_l("Tag"), "list_text"),
    "bought": (_l("Bought an item"), "text"),
    "bad_review": (_l("Left a bad review"), "flag"),
    "opted_out": (_l("Opted out"), "flag"),
    "sms_reachable": (_l("Reachable by SMS"), "flag"),
}
"""The name the builder shows for each core field, and the kind of value input it takes."""

assert set(FIELD_KINDS) == set(FIELDS), "every rule field needs a name and a kind in the builder"

OPERATOR_NAMES: dict[str, Any] = {
    "=": _l("is"),
    "!=": _l("is not"),
    ">": _l("more than"),
    ">=": _l("at least"),
    "<": _l("less than"),
    "<=": _l("at most"),
    "in": _l("is one of"),
    "not_in": _l("is none of"),
    "contains": _l("contains"),
    "between": _l("between"),
    "within_days": _l("within the last … days"),
    "not_within_days": _l("not within the last … days"),
}
"""How an operator reads after a field's name."""

OPERATOR_NAMES_BY_KIND: dict[str, dict[str, Any]] = {
    "date": {"=": _l("on"), "!=": _l("not on"), ">": _l("after"), ">=": _l("on or after"),
             "<": _l("before"), "<=": _l("on or before")},
    "list_text": {"=": _l("has"), "!=": _l("has not"), "in": _l("has any of"), "not_in": _l("has none of")},
    "text_bought": {"contains": _l("an item whose title or SKU contains"), "=": _l("the SKU")},
}
"""Where a kind of field reads better with its own words (dates: before/after; tags: has)."""


def _operators(kind: str, ops: tuple[str, ...], field: str) -> list[dict[str, str]]:
    names = OPERATOR_NAMES_BY_KIND.get("text_bought" if field == "bought" else kind, {})
    return [{"op": op, "name": str(names.get(op, OPERATOR_NAMES[op]))} for op in ops]


def builder_fields() -> list[dict[str, Any]]:
    """Every field the builder offers: the core's fields, then one per registered segmenter."""
    fields = [{"field": name, "name": str(label), "kind": kind, "ops": _operators(kind, FIELDS[name].ops, name)}
              for name, (label, kind) in FIELD_KINDS.items()]
    for segmenter in segmenters():
        values = [{"value": info.value, "description": info.description} for info in segmenter.labels()]
        fields.append({"field": f"label.{segmenter.name}", "name": _("Label: %(name)s", name=str(segmenter.label)),
                       "kind": "label", "ops": _operators("label", ("=", "!=", "in", "not_in"), ""),
                       "values": values})
    return fields


def builder_words() -> dict[str, str]:
    """The words the builder's script shows, translated for the current user."""
    return {
        "all": _("All of these hold"),
        "any": _("Any of these holds"),
        "add_condition": _("Add a condition"),
        "add_group": _("Add an “any of” group"),
        "remove": _("Remove"),
        "remove_group": _("Remove the group"),
        "field": _("Field"),
        "operator": _("Comparison"),
        "value": _("Value"),
        "low": _("Lower end"),
        "high": _("Upper end"),
        "days": _("days"),
        "yes": _("Yes"),
        "no": _("No"),
        "male": _("Male"),
        "female": _("Female"),
        "list_hint": _("Separate several with commas"),
        "choose": _("Choose…"),
        "json_only": _("These rules cannot be shown as a form: edit them as JSON below."),
        "empty": _("No conditions: every customer matches. Add a condition to narrow it down."),
    }


def month_names() -> list[dict[str, Any]]:
    """1–12 with their names in the user's language."""
    names = get_month_names("wide", locale=get_locale())
    return [{"value": month, "name": names[month]} for month in range(1, 13)]


def builder_catalogue() -> dict[str, Any]:
    """Everything the builder's script needs, as one JSON-ready object."""
    return {"fields": builder_fields(), "words": builder_words(), "months": month_names(),
            "provinces": [full for full, _short in PROVINCES]}
