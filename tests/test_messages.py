"""Operator messages made outside a request: English by default, any language on demand."""
from __future__ import annotations

from pathlib import Path

import pytest

from shopcrm.files.fields import CellError, money
from shopcrm.files.tables import FileFormatError, open_table
from shopcrm.importing import ErrorReport
from shopcrm.messages import Message, N_, english, translator
from shopcrm.sources import RowError


def test_a_message_is_english_as_text_and_translated_when_rendered() -> None:
    message = Message(N_("not an amount: %(value)r"), {"value": "12元x"})
    assert str(message) == "not an amount: '12元x'"
    assert message.render(translator("zh_CN")) == "不是金额：'12元x'"
    assert message.render(translator("en")) == str(message)


def test_english_and_unknown_locales_read_the_templates() -> None:
    assert translator(None) is english and translator("en") is english
    assert translator("fr")("the order id is missing") == "the order id is missing"


def test_a_cell_error_carries_its_message() -> None:
    with pytest.raises(CellError) as raised:
        money("十二块")
    assert str(raised.value) == "not an amount: '十二块'"
    assert raised.value.message.render(translator("zh_CN")) == "不是金额：'十二块'"


def test_a_file_error_renders_each_sentence(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError) as raised:
        open_table(empty, "订单.csv")
    assert str(raised.value) == "订单.csv: the file is empty"
    assert raised.value.render(translator("zh_CN")) == "订单.csv：文件是空的"
    two = FileFormatError(Message(N_("%(file)s: the file is empty"), {"file": "a.csv"}), "plain text stays")
    assert two.render(translator("zh_CN")) == "a.csv：文件是空的 plain text stays"


@pytest.mark.parametrize(("locale", "header", "reason"), [
    (None, "row,column,reason,value", "not a quantity: 'x'"),
    ("zh_CN", "行号,列,原因,值", "不是数量：'x'"),
])
def test_the_error_report_is_written_in_the_importers_language(
        tmp_path: Path, locale: str | None, header: str, reason: str) -> None:
    report = ErrorReport(tmp_path, 7, translator(locale))
    message = Message(N_("not a quantity: %(value)r"), {"value": "x"})
    report.add(RowError(3, "宝贝总数量", str(message), "x", message=message))
    report.add(RowError(4, None, "a reason from a plugin, as it is"))
    lines = Path(report.close() or "").read_text(encoding="utf-8-sig").splitlines()
    assert lines == [header, f"3,宝贝总数量,{reason},x", "4,,\"a reason from a plugin, as it is\","]
