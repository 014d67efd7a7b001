"""Streaming the rows of a CSV or XLSX file, never the whole file in memory."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from shopcrm.files.encoding import detect_encoding
from shopcrm.messages import Gettext, Message, N_, english, render_all

XLSX_MAGIC = b"PK\x03\x04"
REPLACEMENT = "\ufffd"


class FileFormatError(ValueError):
    """The file as a whole cannot be read: wrong kind, empty, or no known columns.

    Made of one or more :class:`~shopcrm.messages.Message` sentences (or plain text): English
    as ``str(error)``, in the operator's language with :meth:`render`."""

    def __init__(self, *parts: Message | str) -> None:
        self.parts = tuple(part if isinstance(part, Message) else Message(part) for part in parts)
        super().__init__(self.render())

    def render(self, gettext: Gettext = english) -> str:
        return render_all(self.parts, gettext)


@dataclass(slots=True)
class Table:
    """A file's header row and an iterator of ``(row number, cells)``; row 1 is the header."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    format: str
    encoding: str | None = None


def open_table(path: Path, filename: str | None = None) -> Table:
    """Open ``path`` as CSV or XLSX (told by its content, not its name)."""
    name = filename or path.name
    if not path.exists():
        raise FileFormatError(Message(N_("%(file)s: no such file"), {"file": name}))
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head.strip():
        raise FileFormatError(Message(N_("%(file)s: the file is empty"), {"file": name}))
    if head.startswith(XLSX_MAGIC):
        return _open_xlsx(path, name)
    if b"\x00" in head:
        raise FileFormatError(Message(
            N_("%(file)s: this is not a CSV or XLSX file (expected an order export saved as .csv or .xlsx)"),
            {"file": name}))
    return _open_csv(path, name)


def _clean_header(value: Any) -> str:
    return str(value if value is not None else "").replace("\ufeff", "").strip()


def _open_csv(path: Path, name: str) -> Table:
    encoding = detect_encoding(path)
    handle = open(path, encoding=encoding, errors="replace", newline="")
    reader = csv.reader(handle)
    try:
        headers = next(reader)
    except StopIteration:
        handle.close()
        raise FileFormatError(Message(N_("%(file)s: the file is empty"), {"file": name})) from None
    except csv.Error as exc:
        handle.close()
        raise FileFormatError(Message(N_("%(file)s: not a readable CSV file (%(error)s)"),
                                      {"file": name, "error": exc})) from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        with handle:
            number = 1
            for cells in reader:
                number += 1
                if cells and any(cells):
                    yield number, cells

    return Table([_clean_header(h) for h in headers], rows(), "csv", encoding)


def _open_xlsx(path: Path, name: str) -> Table:
    from openpyxl import load_workbook

    handle = open(path, "rb")  # a handle, not the path: uploads need not end in .xlsx
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # zip but not a workbook, or a damaged one
        handle.close()
        raise FileFormatError(Message(N_("%(file)s: not a readable XLSX workbook (%(error)s)"),
                                      {"file": name, "error": exc})) from None
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        headers = next(iterator)
    except StopIteration:
        workbook.close()
        handle.close()
        raise FileFormatError(Message(N_("%(file)s: the first sheet is empty"), {"file": name})) from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            number = 1
            for cells in iterator:
                number += 1
                if cells and any(c is not None and c != "" for c in cells):
                    yield number, list(cells)
        finally:
            workbook.close()
            handle.close()

    return Table([_clean_header(h) for h in headers], rows(), "xlsx")


def count_rows(path: Path) -> int | None:
    """Data rows in a file, cheaply (CSV: line breaks; XLSX: the sheet's recorded size)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(XLSX_MAGIC):
            return _count_xlsx_rows(path)
        handle.seek(0)
        lines, last = 0, b"\n"
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
        if last != b"\n":
            lines += 1
    return max(lines - 1, 0)


def _count_xlsx_rows(path: Path) -> int | None:
    from openpyxl import load_workbook

    try:
        with open(path, "rb") as handle:
            workbook = load_workbook(handle, read_only=True)
            try:
                rows = workbook.worksheets[0].max_row
            finally:
                workbook.close()
    except Exception:
        return None
    return max(rows - 1, 0) if rows else None
