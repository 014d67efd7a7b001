"""The ``file`` data source: orders, customers or reviews from a CSV or XLSX file."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from flask_babel import lazy_gettext as _l

from shopcrm.files import fields as parse
from shopcrm.files.fields import CellError
from shopcrm.files.presets import FIELDS, PRESETS, choose_preset, missing_fields
from shopcrm.files.tables import REPLACEMENT, FileFormatError, Table, open_table
from shopcrm.messages import Message, N_
from shopcrm.regions import parse_region
from shopcrm.sources import CustomerRecord, DataSource, OrderItemRecord, OrderRecord, ReviewRecord, RowError

Cells = list[Any]


class FileSource(DataSource):
    """Params: ``path``, ``kind`` (orders|customers|reviews), optional ``preset`` (generic|taobao),
    ``mapping`` ({header: field}) and ``filename`` (the name the operator uploaded)."""

    name = "file"
    label = _l("CSV or Excel file")
    kinds = ("orders", "customers", "reviews")

    def fetch(self, params: Mapping[str, Any]) -> Iterator[OrderRecord | CustomerRecord | ReviewRecord | RowError]:
        kind = params.get("kind", "orders")
        if kind not in FIELDS:
            raise FileFormatError(f"unknown kind {kind!r}: choose {', '.join(FIELDS)}")
        path = Path(params["path"])
        filename = params.get("filename") or path.name
        mapping = dict(params.get("mapping") or {})
        bad_fields = sorted(set(mapping.values()) - set(FIELDS[kind]))
        if bad_fields:
            raise FileFormatError(
                f"unknown field(s) in the column mapping: {', '.join(bad_fields)} "
                f"(fields: {', '.join(FIELDS[kind])})"
            )
        table = open_table(path, filename)
        try:
            preset, columns = choose_preset(kind, table.headers, params.get("preset"), mapping)
        except KeyError as exc:
            raise FileFormatError(str(exc.args[0])) from None
        missing = missing_fields(kind, columns)
        if missing:
            raise FileFormatError(*_missing_message(filename, kind, table, missing, params.get("preset")))
        yield from _convert_rows(table, _CONVERTERS[kind](columns, table.headers))


def preview(path: Path, kind: str, limit: int = 10, filename: str | None = None) -> dict[str, Any]:
    """The headers, the first rows and the preset that matches: for the import page."""
    table = open_table(path, filename)
    rows = []
    for _, cells in table.rows:
        rows.append([parse.text(c) or "" for c in cells])
        if len(rows) >= limit:
            break
    close = getattr(table.rows, "close", None)
    if close is not None:
        close()
    preset, columns = choose_preset(kind, table.headers, None, {})
    return {
        "headers": table.headers,
        "rows": rows,
        "format": table.format,
        "encoding": table.encoding,
        "preset": preset.name if preset and not missing_fields(kind, columns) else None,
        "fields": {name: table.headers[index] for name, index in columns.items()},
    }


def _missing_message(filename: str, kind: str, table: Table, missing: list[str],
                     preset: str | None) -> list[Message]:
    shown = ", ".join(h for h in table.headers[:12] if h) + (" …" if len(table.headers) > 12 else "")
    parts = [
        Message(N_("%(file)s: the columns match no %(kind)s layout (missing %(missing)s)."),
                {"file": filename, "kind": kind, "missing": ", ".join(missing)}),
        Message(N_("Columns found: %(columns)s."), {"columns": shown or "none"}),
    ]
    for candidate in PRESETS[kind].values():
        if preset is None or candidate.name == preset:
            parts.append(Message(N_("Preset %(preset)s expects: %(columns)s."),
                                 {"preset": candidate.name, "columns": ", ".join(candidate.expected_headers())}))
    parts.append(Message(N_("Or map the columns yourself (e.g. --map 订单号=order_id).")))
    return parts


def _convert_rows(
    table: Table, convert: Callable[[int, Cells], OrderRecord | CustomerRecord | ReviewRecord]
) -> Iterable[OrderRecord | CustomerRecord | ReviewRecord | RowError]:
    csv = table.format == "csv"
    for number, cells in table.rows:
        if csv and REPLACEMENT in "".join(cells):  # CSV cells are text: one search per row
            message = Message(N_("the row has bytes that are not %(encoding)s text"), {"encoding": table.encoding})
            yield RowError(number, None, str(message), message=message)
            continue
        try:
            yield convert(number, cells)
        except _BadCell as bad:
            yield RowError(number, bad.column, str(bad.message), bad.value, message=bad.message)


class _BadCell(Exception):
    def __init__(self, column: str, message: Message, value: Any) -> None:
        self.column, self.message = column, message
        self.value = None if value is None else str(value)[:200]


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "order_id": parse.order_id, "gender": parse.gender, "birthday": parse.date, "tags": parse.tags,
    "total_amount": parse.money, "paid_amount": parse.money, "refund_amount": parse.money,
    "created_at": parse.timestamp, "paid_at": parse.timestamp, "shipped_at": parse.timestamp,
    "signed_at": parse.timestamp, "closed_at": parse.timestamp, "tracking_number": parse.waybill,
    "item_quantity": parse.quantity, "item_price": parse.money,
    "rating": parse.rating, "reviewed_at": parse.timestamp,
}
_DEFERRED = frozenset({"status"})
"""Parsed after the others: a closed order's status depends on its amounts."""


def _reader(columns: Mapping[str, int], headers: list[str]) -> Callable[[Cells], dict[str, Any]]:
    """A function turning a row's cells into ``{field: parsed value}`` for the columns present.

    The plan (field, column, parser) is worked out once per file, so each row costs one pass
    over its present columns; a cell that does not parse raises :class:`_BadCell` naming the
    column's header.
    """
    plan = [(name, index, _PARSERS.get(name, parse.text)) for name, index in columns.items()
            if name not in _DEFERRED]

    def read(cells: Cells) -> dict[str, Any]:
        size = len(cells)
        values: dict[str, Any] = {}
        for name, index, parser in plan:
            value = cells[index] if index < size else None
            try:
                values[name] = parser(value)
            except CellError as exc:
                raise _BadCell(headers[index], exc.message, value) from None
        return values

    return read


def _customer(values: dict[str, Any], row: int) -> CustomerRecord:
    get = values.get
    address, province, city = get("address"), get("province"), get("city")
    if address and not (province and city):
        parsed_province, parsed_city = parse_region(address)
        province, city = province or parsed_province, city or parsed_city
    return CustomerRecord(
        platform_id=get("customer_id"), name=get("name"), mobile=get("mobile"), email=get("email"),
        gender=get("gender"), province=province, city=city, address=address, birthday=get("birthday"),
        tags=get("tags") or [], row=row,
    )


def _customer_converter(columns: Mapping[str, int], headers: list[str]) -> Callable[[int, Cells], CustomerRecord]:
    read = _reader(columns, headers)
    return lambda row, cells: _customer(read(cells), row)


def _order_converter(columns: Mapping[str, int], headers: list[str]) -> Callable[[int, Cells], OrderRecord]:
    read = _reader(columns, headers)
    status_index = columns["status"]
    status_header = headers[status_index]
    zero = parse.money("0")

    def convert(row: int, cells: Cells) -> OrderRecord:
        values = read(cells)
        get = values.get
        paid, refund, total = get("paid_amount"), get("refund_amount"), get("total_amount")
        raw_status = cells[status_index] if status_index < len(cells) else None
        try:
            status = parse.status(raw_status, paid, refund)
        except CellError as exc:
            raise _BadCell(status_header, exc.message, raw_status) from None
        title = get("item_title")
        items = [OrderItemRecord(title=title, quantity=get("item_quantity", 1), price=get("item_price"),
                                 sku=get("item_sku"))] if title else []
        return OrderRecord(
            platform_order_id=values["order_id"],
            status=status,
            customer=_customer(values, row),
            total_amount=total if total is not None else (paid or zero),
            paid_amount=paid or zero,
            refund_amount=refund or zero,
            created_at=get("created_at"),
            paid_at=get("paid_at"),
            shipped_at=get("shipped_at"),
            signed_at=get("signed_at"),
            closed_at=get("closed_at"),
            carrier=get("carrier"),
            tracking_number=get("tracking_number"),
            items=items,
            row=row,
        )

    return convert


def _review_converter(columns: Mapping[str, int], headers: list[str]) -> Callable[[int, Cells], ReviewRecord]:
    read = _reader(columns, headers)
    time_header = headers[columns["reviewed_at"]]

    def convert(row: int, cells: Cells) -> ReviewRecord:
        values = read(cells)
        if values.get("reviewed_at") is None:
            raise _BadCell(time_header, Message(N_("the review time is missing")), None)
        return ReviewRecord(platform_order_id=values["order_id"], rating=values["rating"],
                            created_at=values["reviewed_at"], platform_review_id=values.get("review_id"),
                            content=values.get("content") or "", row=row)

    return convert


_CONVERTERS: dict[str, Callable[[Mapping[str, int], list[str]], Callable[[int, Cells], Any]]] = {
    "orders": _order_converter, "customers": _customer_converter, "reviews": _review_converter,
}


__all__ = ["FileFormatError", "FileSource", "preview"]
