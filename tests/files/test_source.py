"""The file data source: encodings, XLSX, presets, mappings and bad input."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import Workbook

from shopcrm.files.source import FileSource, preview
from shopcrm.files.tables import FileFormatError
from shopcrm.sources import CustomerRecord, OrderRecord, OrderStatus, RowError

TAOBAO_HEADER = ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "收货人姓名", "收货地址", "联系手机",
                 "订单创建时间", "订单付款时间", "宝贝标题", "宝贝总数量", "退款金额"]
TAOBAO_ROWS = [
    ['="3712893019283746"', "tb_小王", "￥128.50", "交易成功", "王小明", "浙江省 杭州市 西湖区 文三路90号",
     "13812345678", "2026-11-11 00:05:12", "2026-11-11 00:06:00", "保温杯 500ml", "2", "0.00"],
    ["3712893019283747\t", "tb_lily", "59.00", "交易关闭", "李莉", "上海 上海市 浦东新区 世纪大道1号",
     "'+86 139 0000 1111", "2026/06/18 20:00", "2026/06/18 20:01", "茶叶", "1", "59.00"],
    ["3712893019283748", "tb_zhao", "0", "等待买家付款", "赵六", "广东省 深圳市 南山区", "13700001111",
     "2026-11-20 10:00:00", "", "毛巾", "1", ""],
]


def write_csv(path, header, rows, encoding="utf-8"):
    lines = [",".join(_quote(c) for c in header)] + [",".join(_quote(c) for c in row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _quote(cell):
    return '"' + str(cell).replace('"', '""') + '"' if any(ch in str(cell) for ch in ',"\n') else str(cell)


def fetch(path, **params):
    return list(FileSource().fetch({"path": str(path), "kind": "orders", **params}))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_taobao_export_in_any_encoding(tmp_path, encoding):
    records = fetch(write_csv(tmp_path / "orders.csv", TAOBAO_HEADER, TAOBAO_ROWS, encoding))
    assert all(isinstance(r, OrderRecord) for r in records), records
    first, closed, unpaid = records
    assert first.platform_order_id == "3712893019283746"
    assert first.status is OrderStatus.COMPLETED and first.paid_amount == Decimal("128.50")
    assert first.customer.platform_id == "tb_小王" and first.customer.name == "王小明"
    assert (first.customer.province, first.customer.city) == ("浙江省", "杭州市")
    assert first.created_at == dt.datetime(2026, 11, 11, 0, 5, 12)
    assert [(i.title, i.quantity) for i in first.items] == [("保温杯 500ml", 2)]
    assert closed.platform_order_id == "3712893019283747"
    assert closed.status is OrderStatus.REFUNDED  # closed after a refund of what was paid
    assert closed.customer.mobile == "'+86 139 0000 1111"  # normalised by ingestion
    assert (closed.customer.province, closed.customer.city) == ("上海市", "上海市")
    assert unpaid.status is OrderStatus.PENDING_PAYMENT and unpaid.paid_at is None


def test_the_taobao_export_s_courier_and_waybill_columns_are_read(tmp_path):
    header = [*TAOBAO_HEADER, "物流公司", "物流单号"]
    rows = [[*TAOBAO_ROWS[0], "中通快递", '="73512345678901"'], [*TAOBAO_ROWS[2], "", ""]]
    shipped, unpaid = fetch(write_csv(tmp_path / "orders.csv", header, rows, "gbk"))
    assert (shipped.carrier, shipped.tracking_number) == ("中通快递", "73512345678901")
    assert (unpaid.carrier, unpaid.tracking_number) == (None, None)


def test_xlsx_is_streamed_with_typed_cells(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(TAOBAO_HEADER)
    sheet.append(["3712893019283746", "tb_x", 88.8, "买家已付款，等待卖家发货", "X", "北京市朝阳区建国路88号",
                  13812345678, dt.datetime(2026, 6, 18, 9, 30), dt.datetime(2026, 6, 18, 9, 31), "杯子", 3, 0])
    sheet.append(["3712893019283749", "tb_y", 10, "TRADE_FINISHED", "Y", "", None,
                  dt.datetime(2026, 6, 19), None, None, None, None])
    workbook.save(tmp_path / "orders.xlsx")
    paid, done = fetch(tmp_path / "orders.xlsx")
    assert (paid.status, paid.paid_amount, paid.customer.mobile) == (OrderStatus.PAID, Decimal("88.80"), "13812345678")
    assert paid.created_at == dt.datetime(2026, 6, 18, 9, 30)
    assert (paid.customer.province, paid.customer.city) == ("北京市", "北京市")
    assert done.status is OrderStatus.COMPLETED and done.items == []


def test_bad_rows_are_reported_by_row_column_and_reason_and_good_rows_kept(tmp_path):
    rows = [list(TAOBAO_ROWS[0]) for _ in range(5)]
    rows[1][7] = "昨天"  # 订单创建时间
    rows[2][2] = "12,5x"  # 买家实际支付金额
    rows[3][3] = "神秘状态"
    rows[4][0] = ""
    records = fetch(write_csv(tmp_path / "bad.csv", TAOBAO_HEADER, rows))
    errors = [r for r in records if isinstance(r, RowError)]
    assert len([r for r in records if isinstance(r, OrderRecord)]) == 1
    assert [(e.row, e.column) for e in errors] == [(3, "订单创建时间"), (4, "买家实际支付金额"), (5, "订单状态"), (6, "订单编号")]
    assert "not a date and time: '昨天'" in errors[0].reason and errors[0].value == "昨天"
    assert "not an amount" in errors[1].reason
    assert "unknown order status '神秘状态'" in errors[2].reason
    assert "the order id is missing" in errors[3].reason


def test_generic_preset_is_detected_from_english_headers(tmp_path):
    path = write_csv(tmp_path / "g.csv", ["order_id", "mobile", "status", "created_at", "paid_amount", "province"],
                     [["A1", "13800000000", "paid", "2026-01-02 03:04:05", "10", "江苏省"]])
    (record,) = fetch(path)
    assert (record.platform_order_id, record.status, record.customer.province) == ("A1", OrderStatus.PAID, "江苏省")
    assert record.customer.platform_id is None and record.customer.mobile == "13800000000"


def test_an_explicit_mapping_overrides_and_completes_a_preset(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["单号", "手机", "状态", "下单时间"],
                     [["X9", "13800000000", "交易成功", "2026-02-03"]])
    (record,) = fetch(path, mapping={"单号": "order_id", "手机": "mobile", "状态": "status", "下单时间": "created_at"})
    assert (record.platform_order_id, record.status) == ("X9", OrderStatus.COMPLETED)


def test_headers_matching_no_preset_get_one_message_listing_what_is_expected(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["foo", "bar"], [["1", "2"]])
    with pytest.raises(FileFormatError) as info:
        fetch(path)
    message = str(info.value)
    assert "x.csv: the columns match no orders layout" in message
    assert "Columns found: foo, bar" in message
    assert "Preset taobao expects: 订单编号, 买家会员名, 订单状态, 订单创建时间" in message
    assert "Preset generic expects: order_id, customer_id, status, created_at" in message


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the file is empty"), (b"   \r\n", "the file is empty"),
     (b"%PDF-1.4\x00\x01\x02", "not a CSV or XLSX file"), (b"PK\x03\x04garbage", "not a readable XLSX workbook")],
)
def test_empty_and_wrong_kind_files_get_a_clear_message(tmp_path, content, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=message):
        fetch(path)


def test_an_unknown_mapped_field_is_refused(tmp_path):
    path = write_csv(tmp_path / "m.csv", TAOBAO_HEADER, TAOBAO_ROWS)
    with pytest.raises(FileFormatError, match="unknown field\\(s\\) in the column mapping: colour"):
        fetch(path, mapping={"订单编号": "colour"})


def test_undecodable_bytes_mark_the_row_not_the_file(tmp_path):
    path = write_csv(tmp_path / "u.csv", TAOBAO_HEADER, TAOBAO_ROWS[:1])
    path.write_bytes(path.read_bytes() + "2,tb_q,1,交易成功,Q,,13800000000,2026-01-01,,,1,0\r\n".encode("utf-8").replace(b"Q", b"\xff\xfe"))
    records = fetch(path)
    assert isinstance(records[0], OrderRecord)
    assert isinstance(records[1], RowError) and records[1].row == 3 and "not utf-8 text" in records[1].reason


def test_customer_files(tmp_path):
    path = write_csv(tmp_path / "c.csv", ["customer_id", "name", "mobile", "gender", "birthday", "tags"],
                     [["tb_a", "阿明", "13800000000", "男", "1990-05-06", "vip，老客"]])
    (record,) = list(FileSource().fetch({"path": str(path), "kind": "customers"}))
    assert isinstance(record, CustomerRecord)
    assert (record.gender, record.birthday, record.tags) == ("m", dt.date(1990, 5, 6), ["vip", "老客"])


def test_preview_shows_first_rows_and_the_matching_preset(tmp_path):
    path = write_csv(tmp_path / "p.csv", TAOBAO_HEADER, TAOBAO_ROWS, "gbk")
    shown = preview(path, "orders", limit=2)
    assert shown["preset"] == "taobao" and shown["encoding"] == "gb18030"
    assert len(shown["rows"]) == 2 and shown["fields"]["order_id"] == "订单编号"


def test_an_xlsx_upload_saved_without_its_suffix_is_read(tmp_path):
    workbook = Workbook()
    workbook.active.append(TAOBAO_HEADER)
    workbook.active.append(["3712893019283746", *TAOBAO_ROWS[0][1:]])  # "=..." would be a formula
    workbook.save(tmp_path / "upload.xlsx")
    (tmp_path / "upload.xlsx").rename(tmp_path / "3f9a1c")
    (record,) = fetch(tmp_path / "3f9a1c")
    assert record.platform_order_id == "3712893019283746"


REVIEW_HEADER = ["订单编号", "宝贝名称", "评价结果", "评价内容", "评价时间"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_taobao_review_export(tmp_path, encoding):
    path = write_csv(tmp_path / "评价.csv", REVIEW_HEADER, [
        ["3712893019283746", "保温杯", "差评", "杯子有划痕", "2026-11-16 21:40:00"],
        ["3712893019283747", "茶叶", "好评", "", "2026/11/17 08:00"],
        ["3712893019283748", "毛巾", "一般般", "还行", "2026-11-17 09:00:00"],
        ["3712893019283749", "毛巾", "中评", "还行", ""],
    ], encoding)
    first, second, bad_rating, no_time = FileSource().fetch({"path": str(path), "kind": "reviews"})
    assert (first.platform_order_id, first.rating, first.bad, first.content, first.created_at, first.row) == (
        "3712893019283746", 1, True, "杯子有划痕", dt.datetime(2026, 11, 16, 21, 40), 2)
    assert first.review_key == "order:3712893019283746"
    assert (second.rating, second.bad, second.content) == (5, False, "")
    assert isinstance(bad_rating, RowError) and (bad_rating.row, bad_rating.column) == (4, "评价结果")
    assert "一般般" in bad_rating.reason
    assert isinstance(no_time, RowError) and (no_time.row, no_time.column, no_time.reason) == (
        5, "评价时间", "the review time is missing")


def test_a_review_file_without_its_columns_lists_what_each_layout_expects(tmp_path):
    path = write_csv(tmp_path / "r.csv", ["订单编号", "评价内容"], [["1", "好"]])
    with pytest.raises(FileFormatError) as raised:
        list(FileSource().fetch({"path": str(path), "kind": "reviews"}))
    message = str(raised.value)
    assert "missing rating, reviewed_at" in message
    assert "Preset taobao expects: 订单编号, 子订单编号, 评价结果, 评价等级, 评分, 评价时间, 评论时间" in message
    assert "customer_id" not in message  # a review belongs to its order's buyer
