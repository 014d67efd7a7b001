"""Segment rules: JSON conditions on customers, compiled to one SQL condition.

The shape::

    {"all": [COND, {"any": [COND, ...]}, ...]}      # nested all/any groups
    COND = {"field": F, "op": OP, "value": V}

Fields: ``total_paid``, ``order_count``, ``first_order_at``, ``last_order_at``, ``province``,
``city``, ``gender``, ``birthday_month``, ``tag``, ``bought``, ``bad_review``, ``opted_out``,
``sms_reachable`` and ``label.<segmenter>``. Operators: ``=``, ``!=``, ``>``, ``>=``, ``<``,
``<=``, ``in``, ``not_in``, ``contains``, ``between``, ``within_days``, ``not_within_days`` —
each field accepts the ones that make sense for it. Anything else is a :class:`RuleError`
naming where in the rules it is (``all[1].any[0].value``), never a crash and never a silently
empty result. ``!=`` and ``not_in`` include customers who have no value at all.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from sqlalchemy import Boolean, ColumnElement, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.ext.compiler import compiles

from shopcrm.db import utcnow
from shopcrm.models import Customer, CustomerLabel, Order, OrderItem, OptOut, Review
from shopcrm.sources import PAID_STATUSES

OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "in", "not_in", "contains", "between", "within_days",
             "not_within_days")
MAX_DEPTH = 8


class RuleError(ValueError):
    """A rule that cannot be compiled; ``path`` says where (``all[0].value``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


# --- values -----------------------------------------------------------------------------------


def _number(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RuleError(path, f"expected a number, not {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RuleError(path, f"expected a number, not {value!r}") from None
    if not number.is_finite():
        raise RuleError(path, f"expected a number, not {value!r}")
    return number


def _integer(value: Any, path: str) -> int:
    number = _number(value, path)
    if number != number.to_integral_value():
        raise RuleError(path, f"expected a whole number, not {value!r}")
    return int(number)


def _date(value: Any, path: str) -> dt.datetime:
    if not isinstance(value, str):
        raise RuleError(path, f"expected a date like 2026-11-11, not {value!r}")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise RuleError(path, f"expected a date like 2026-11-11, not {value!r}") from None


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(path, f"expected some text, not {value!r}")
    return value.strip()


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise RuleError(path, f"expected true or false, not {value!r}")
    return value


def _month(value: Any, path: str) -> int:
    month = _integer(value, path)
    if not 1 <= month <= 12:
        raise RuleError(path, f"expected a month from 1 to 12, not {value!r}")
    return month


def _days(value: Any, path: str) -> int:
    days = _integer(value, path)
    if days < 0:
        raise RuleError(path, f"expected a number of days, not {value!r}")
    return days


def _list(value: Any, path: str, item: Callable[[Any, str], Any]) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise RuleError(path, f"expected a non-empty list, not {value!r}")
    return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]


def _pair(value: Any, path: str, item: Callable[[Any, str], Any]) -> tuple[Any, Any]:
    if not isinstance(value, list) or len(value) != 2:
        raise RuleError(path, f"expected [low, high], not {value!r}")
    low, high = item(value[0], f"{path}[0]"), item(value[1], f"{path}[1]")
    if low > high:
        raise RuleError(path, f"the low end {value[0]!r} is above the high end {value[1]!r}")
    return low, high


# --- conditions on a column -------------------------------------------------------------------


def _compare(column: Any, op: str, value: Any, path: str, item: Callable[[Any, str], Any]) -> ColumnElement[bool]:
    if op in ("=", "!=", ">", ">=", "<", "<="):
        v = item(value, path)
        if op == "=":
            return column == v
        if op == "!=":
            return or_(column != v, column.is_(None))
        return {">": column > v, ">=": column >= v, "<": column < v, "<=": column <= v}[op]
    if op == "in":
        return column.in_(_list(value, path, item))
    if op == "not_in":
        return or_(column.not_in(_list(value, path, item)), column.is_(None))
    if op == "between":
        low, high = _pair(value, path, item)
        return column.between(low, high)
    raise AssertionError(op)


def _days_ago(days: int) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    ops: tuple[str, ...]
    build: Callable[[str, Any, str], ColumnElement[bool]]


def _number_field(column: Any, item: Callable[[Any, str], Any]) -> Callable[[str, Any, str], ColumnElement[bool]]:
    return lambda op, value, path: _compare(column, op, value, path, item)


def _time_field(column: Any) -> Callable[[str, Any, str], ColumnElement[bool]]:
    def build(op: str, value: Any, path: str) -> ColumnElement[bool]:
        if op == "within_days":
            return column >= _days_ago(_days(value, path))
        if op == "not_within_days":
            return or_(column < _days_ago(_days(value, path)), column.is_(None))
        if op == "between":  # both ends inclusive; a bare date as the high end means that whole day
            low, high = _pair(value, path, _date)
            upper = column < high + dt.timedelta(days=1) if len(value[1]) == 10 else column <= high
            return and_(column >= low, upper)
        if op in ("=", "!="):
            day = _date(value, path)
            same_day = and_(column >= day, column < day + dt.timedelta(days=1))
            return same_day if op == "=" else or_(not_(same_day), column.is_(None))
        return _compare(column, op, value, path, _date)

    return build


def _text_field(column: Any) -> Callable[[str, Any, str], ColumnElement[bool]]:
    def build(op: str, value: Any, path: str) -> ColumnElement[bool]:
        if op == "contains":
            return column.contains(_text(value, path), autoescape=True)
        return _compare(column, op, value, path, _text)

    return build


def _gender(value: Any, path: str) -> str:
    mapped = {"m": "m", "f": "f", "男": "m", "女": "f", "male": "m", "female": "f"}.get(str(value).lower())
    if mapped is None:
        raise RuleError(path, f"expected m or f (男/女), not {value!r}")
    return mapped


class _HasTag(ColumnElement[bool]):
    """``customer.tags`` (a JSON list) holds ``tag``: json_each on SQLite, jsonb ``?`` on PostgreSQL."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, tag: str) -> None:
        self.tag = tag


@compiles(_HasTag, "sqlite")
def _has_tag_sqlite(element: _HasTag, compiler: Any, **kw: Any) -> str:
    tag = compiler.process(_literal(element.tag), **kw)
    return f"EXISTS (SELECT 1 FROM json_each(customer.tags) WHERE json_each.value = {tag})"


@compiles(_HasTag, "postgresql")
def _has_tag_postgresql(element: _HasTag, compiler: Any, **kw: Any) -> str:
    tag = compiler.process(_literal(element.tag), **kw)
    return f"(customer.tags::jsonb ? {tag})"


def _literal(value: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(None, value, unique=True)


def _tag(op: str, value: Any, path: str) -> ColumnElement[bool]:
    if op == "=":
        return _HasTag(_text(value, path))
    if op == "!=":
        return not_(_HasTag(_text(value, path)))
    tags = _list(value, path, _text)
    anyof = or_(*(_HasTag(tag) for tag in tags))
    return anyof if op == "in" else not_(anyof)


_COUNTED = [status.value for status in PAID_STATUSES]


def _bought(op: str, value: Any, path: str) -> ColumnElement[bool]:
    """A paid order with a line whose title contains ``value`` (or whose SKU is it), or ``=``: the SKU."""
    text = _text(value, path)
    match = OrderItem.sku == text
    if op == "contains":
        match = or_(OrderItem.title.contains(text, autoescape=True), match)
    return exists(
        select(1).select_from(OrderItem).join(Order, Order.id == OrderItem.order_id)
        .where(Order.customer_id == Customer.id, Order.status.in_(_COUNTED), match)
    )


def _flag(condition: Callable[[], ColumnElement[bool]]) -> Callable[[str, Any, str], ColumnElement[bool]]:
    def build(op: str, value: Any, path: str) -> ColumnElement[bool]:
        wanted = _bool(value, path)
        return condition() if wanted == (op == "=") else not_(condition())

    return build


FIELDS: dict[str, Field] = {
    "total_paid": Field("Total paid", ("=", "!=", ">", ">=", "<", "<=", "between"),
                        _number_field(Customer.total_paid, _number)),
    "order_count": Field("Paid orders", ("=", "!=", ">", ">=", "<", "<=", "between", "in", "not_in"),
                         _number_field(Customer.order_count, _integer)),
    "first_order_at": Field("First order", (">", ">=", "<", "<=", "=", "!=", "between", "within_days",
                                            "not_within_days"), _time_field(Customer.first_order_at)),
    "last_order_at": Field("Last order", (">", ">=", "<", "<=", "=", "!=", "between", "within_days",
                                          "not_within_days"), _time_field(Customer.last_order_at)),
    "province": Field("Province", ("=", "!=", "in", "not_in", "contains"), _text_field(Customer.province)),
    "city": Field("City", ("=", "!=", "in", "not_in", "contains"), _text_field(Customer.city)),
    "gender": Field("Gender", ("=", "!="), lambda op, v, p: _compare(Customer.gender, op, v, p, _gender)),
    "birthday_month": Field("Birthday month", ("=", "!=", "in", "not_in", "between"),
                            _number_field(func.extract("month", Customer.birthday), _month)),
    "tag": Field("Tag", ("=", "!=", "in", "not_in"), _tag),
    "bought": Field("Bought an item", ("contains", "="), _bought),
    "bad_review": Field("Left a bad review", ("=", "!="), _flag(lambda: exists(
        select(1).select_from(Review).where(Review.customer_id == Customer.id, Review.is_bad)))),
    "opted_out": Field("Opted out", ("=", "!="), _flag(lambda: exists(
        select(1).select_from(OptOut).where(OptOut.shop_id == Customer.shop_id, OptOut.mobile == Customer.mobile)))),
    "sms_reachable": Field("Reachable by SMS", ("=", "!="), _flag(lambda: Customer.sms_reachable.is_(True))),
}


def _label(segmenter: str) -> Field:
    def build(op: str, value: Any, path: str) -> ColumnElement[bool]:
        def has(condition: ColumnElement[bool]) -> ColumnElement[bool]:
            return exists(select(1).select_from(CustomerLabel).where(
                CustomerLabel.customer_id == Customer.id, CustomerLabel.segmenter == segmenter, condition))

        if op == "=":
            return has(CustomerLabel.value == _text(value, path))
        if op == "in":
            return has(CustomerLabel.value.in_(_list(value, path, _text)))
        if op == "!=":
            return not_(has(CustomerLabel.value == _text(value, path)))
        return not_(has(CustomerLabel.value.in_(_list(value, path, _text))))

    return Field(f"Label: {segmenter}", ("=", "!=", "in", "not_in"), build)


def field_spec(name: str, segmenters: set[str] | None = None, path: str = "field") -> Field:
    if name.startswith("label."):
        segmenter = name[len("label."):]
        if not segmenter or (segmenters is not None and segmenter not in segmenters):
            known = ", ".join(sorted(f"label.{s}" for s in segmenters or ())) or "none installed"
            raise RuleError(path, f"unknown label {name!r} (labels: {known})")
        return _label(segmenter)
    spec = FIELDS.get(name)
    if spec is None:
        raise RuleError(path, f"unknown field {name!r} (fields: {', '.join(FIELDS)}, label.<segmenter>)")
    return spec


def compile_rules(rules: Any, segmenters: set[str] | None = None) -> ColumnElement[bool]:
    """The SQL condition on ``customer`` for ``rules``; ``segmenters`` limits ``label.*`` names."""
    return _group_or_condition(rules, "", segmenters, 0)


def _group_or_condition(node: Any, path: str, segmenters: set[str] | None, depth: int) -> ColumnElement[bool]:
    if depth > MAX_DEPTH:
        raise RuleError(path, f"rules nest deeper than {MAX_DEPTH} groups")
    if not isinstance(node, Mapping):
        raise RuleError(path, f"expected an object (a group or a condition), not {node!r}")
    keys = set(node)
    if keys in ({"all"}, {"any"}):
        kind = "all" if "all" in node else "any"
        children = node[kind]
        if not isinstance(children, list):
            raise RuleError(_join(path, kind), "expected a list of conditions")
        parts = [_group_or_condition(child, f"{_join(path, kind)}[{i}]", segmenters, depth + 1)
                 for i, child in enumerate(children)]
        if not parts:  # an empty "all" matches everyone, an empty "any" no one
            return true() if kind == "all" else false()
        return and_(*parts) if kind == "all" else or_(*parts)
    if "field" in keys:
        unknown = keys - {"field", "op", "value"}
        if unknown:
            raise RuleError(_join(path, sorted(unknown)[0]), "unknown key in a condition (keys: field, op, value)")
        name, op = node.get("field"), node.get("op")
        if not isinstance(name, str):
            raise RuleError(_join(path, "field"), f"expected a field name, not {name!r}")
        spec = field_spec(name, segmenters, _join(path, "field"))
        if op not in OPERATORS:
            raise RuleError(_join(path, "op"), f"unknown operator {op!r} (operators: {', '.join(OPERATORS)})")
        if op not in spec.ops:
            raise RuleError(_join(path, "op"), f"{name} cannot use {op!r} (it takes: {', '.join(spec.ops)})")
        if "value" not in node:
            raise RuleError(_join(path, "value"), "a condition needs a value")
        return spec.build(op, node["value"], _join(path, "value"))
    raise RuleError(path, 'expected {"all": [...]}, {"any": [...]} or {"field": ..., "op": ..., "value": ...}')


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def matching_customers(shop_id: int, rules: Any, segmenters: set[str] | None = None) -> Any:
    """``SELECT customer.id`` of the shop's customers matching ``rules``: one query."""
    return select(Customer.id).where(Customer.shop_id == shop_id, compile_rules(rules, segmenters))


__all__ = ["FIELDS", "OPERATORS", "RuleError", "compile_rules", "count_matching", "field_spec", "matching_customers"]



def count_matching(shop_id: int, rules: Any, segmenters: set[str] | None = None) -> Any:
    """``SELECT count(*)`` of the shop's customers matching ``rules``: one query, no subquery."""
    return select(func.count()).select_from(Customer).where(Customer.shop_id == shop_id,
                                                             compile_rules(rules, segmenters))
