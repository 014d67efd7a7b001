"""The column-mapping form of the import page: which column of a file holds which field.

The form is prefilled from a layout (preset): the one the operator picks, else the one the
core detects, else the closest partial match. What the operator confirms is exactly what is
imported: it is sent as an explicit mapping with no preset, and checked first against the
core's own reading of it (:func:`shopcrm.files.presets.choose_preset`), so the import never
reads a column the form showed as left out.

Columns are named in the form by their position (``column-3``), since headers can be anything.
A column without a header, or with the same header as an earlier one, cannot be told apart
by the import and is not offered.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Mapping

from babel.lists import format_list
from flask import abort
from flask_babel import get_locale, gettext as _

from shopcrm.files.presets import EITHER_CUSTOMER_FIELD, FIELDS, choose_preset
from shopcrm.files.presets import missing_fields as required_missing
from shopcrm.web.import_labels import field_label

NOT_IMPORTED = ""
"""The form value of a column that is left out."""

FIELD_PREFIX = "column-"


def listed(items: list[str]) -> str:
    """``items`` as a list in a sentence of the user's language (a, b and c / a、b和c)."""
    return format_list(items, locale=get_locale() or "en")


def form_name(index: int) -> str:
    return f"{FIELD_PREFIX}{index}"


def mappable_columns(headers: list[str]) -> list[int]:
    """Positions of the columns the form offers: named, and not named like an earlier one
    (headers are matched ignoring case and surrounding spaces)."""
    seen: set[str] = set()
    found = []
    for index, header in enumerate(headers):
        key = header.strip().lower()
        if key and key not in seen:
            seen.add(key)
            found.append(index)
    return found


def prefill(kind: str, headers: list[str], preset: str | None) -> dict[int, str]:
    """``{column position: field}`` as the layout ``preset`` reads the headers (``None``: the
    layout that matches, else the closest one)."""
    _preset, columns = choose_preset(kind, headers, preset, {})
    offered = set(mappable_columns(headers))
    return {index: name for name, index in columns.items() if index in offered}


def missing_fields(kind: str, chosen: Mapping[int, str]) -> list[str]:
    """Labels of the required fields no column is mapped to, by the core's rule
    (:func:`shopcrm.files.presets.missing_fields`)."""
    missing = []
    for name in required_missing(kind, {field: index for index, field in chosen.items()}):
        if name == EITHER_CUSTOMER_FIELD:
            missing.append(_("%(first)s or %(second)s", first=field_label("customer_id"),
                             second=field_label("mobile")))
        else:
            missing.append(field_label(name))
    return missing


@dataclass(slots=True)
class MappingForm:
    """What the operator chose, and what is wrong with it (empty when it can be imported)."""

    chosen: dict[int, str]
    """column position -> field"""
    mapping: dict[str, str]
    """header -> field: the import's ``mapping`` parameter"""
    errors: list[str] = field(default_factory=list)


def read_mapping(kind: str, headers: list[str], form: Mapping[str, str]) -> MappingForm:
    """The mapping posted in ``form`` for a file with ``headers``, checked.

    A value that is not a field of ``kind`` cannot come from the page and is answered 400.
    """
    allowed = set(FIELDS[kind])
    chosen: dict[int, str] = {}
    for index in mappable_columns(headers):
        value = form.get(form_name(index), NOT_IMPORTED)
        if value == NOT_IMPORTED:
            continue
        if value not in allowed:
            abort(400)
        chosen[index] = value
    result = MappingForm(chosen, {headers[index]: name for index, name in chosen.items()})

    columns_of: dict[str, list[int]] = defaultdict(list)
    for index, name in chosen.items():
        columns_of[name].append(index)
    for name, indexes in columns_of.items():
        if len(indexes) > 1:
            result.errors.append(_(
                "%(field)s is chosen for more than one column (%(columns)s): choose it for one only.",
                field=field_label(name), columns=listed([headers[i] for i in indexes])))
    if result.errors:
        return result

    missing = missing_fields(kind, chosen)
    if missing:
        result.errors.append(_("Choose the columns that hold: %(fields)s.",
                               fields=listed(missing)))
        return result

    intended = {name: index for index, name in chosen.items()}
    _preset, read = choose_preset(kind, headers, None, result.mapping)
    for name, index in sorted(read.items(), key=lambda item: item[1]):
        if intended.get(name) != index:
            result.errors.append(_(
                "The column “%(column)s” has the name of a field and is always read as "
                "%(field)s: choose %(field)s for it.",
                column=headers[index], field=field_label(name)))
    return result
