"""Reading SmsReport and SmsUp pushes into message events."""
from __future__ import annotations

import datetime as dt
import logging

import pytest
from flask import Flask

from shopcrm_sms_aliyun import pushes
from shopcrm_sms_aliyun.channel import AliyunSmsChannel

REPORT = {
    "phone_number": "13800138000", "send_time": "2026-11-29 10:00:00",
    "report_time": "2026-11-29 10:00:05", "success": True, "err_code": "DELIVERED",
    "err_msg": "用户接收成功", "sms_size": "1", "biz_id": "932702304080415357^0", "out_id": "1234",
}
FAILED = {**REPORT, "success": False, "err_code": "MK:0001", "err_msg": "空号", "out_id": "1235"}
UP = {
    "phone_number": "13800138000", "send_time": "2026-11-29 10:05:00", "content": "退订",
    "sign_name": "小店旗舰店", "dest_code": "1234", "sequence_id": 1234567890,
}


def test_receipts_become_delivered_and_failed_events() -> None:
    delivered, failed = (p.event for p in pushes.parse([REPORT, FAILED], "sms_aliyun", "report"))
    assert delivered.kind == "delivered" and delivered.message_id == 1234
    assert delivered.gateway_id == "932702304080415357^0" and delivered.mobile == "13800138000"
    assert delivered.error_code is None
    assert delivered.occurred_at == dt.datetime(2026, 11, 29, 2, 0, 5)  # Beijing 10:00:05 in UTC
    assert failed.kind == "failed" and failed.message_id == 1235 and failed.error_code == "MK:0001"


def test_a_receipt_of_a_batch_names_the_number_and_the_bizid_not_one_message() -> None:
    [push] = pushes.parse([{**REPORT, "out_id": "100-199"}], "sms_aliyun", "report")
    assert push.event.message_id is None
    assert (push.event.gateway_id, push.event.mobile) == ("932702304080415357^0", "13800138000")


def test_replies_become_replied_events() -> None:
    [push] = pushes.parse([UP], "sms_aliyun", "up")
    event = push.event
    assert (event.kind, event.mobile, event.text, event.channel) == ("replied", "13800138000", "退订", "sms_aliyun")
    assert event.occurred_at == dt.datetime(2026, 11, 29, 2, 5, 0)
    assert push.key == "1234567890|13800138000"


@pytest.mark.parametrize("item", [
    "not an object",
    None,
    {},
    {**REPORT, "success": "yes"},
    {**REPORT, "biz_id": ""},
    {k: v for k, v in REPORT.items() if k != "phone_number"},
    {**REPORT, "out_id": ["1"]},
])
def test_malformed_receipts_are_left_out_with_a_warning(item, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="shopcrm_sms_aliyun.pushes"):
        result = pushes.parse([REPORT, item, FAILED], "sms_aliyun", "report")
    assert [p.event.message_id for p in result] == [1234, 1235]
    assert "item 1 ignored" in caplog.text
    assert "13800138000" not in caplog.text


@pytest.mark.parametrize("item", [{**UP, "content": None}, {**UP, "sequence_id": None}, [UP]])
def test_malformed_replies_are_left_out(item) -> None:
    assert [p.event.text for p in pushes.parse([item, UP], "sms_aliyun", "up")] == ["退订"]


def test_a_body_that_is_not_a_list_gives_no_events(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert pushes.parse({"phone_number": "1"}, "sms_aliyun", "report") == []
    assert "not a JSON list" in caplog.text


def test_parse_callback_tells_receipts_from_replies() -> None:
    app = Flask(__name__)
    with app.test_request_context("/", method="POST", json=[REPORT, UP, 42]):
        from flask import request

        events = AliyunSmsChannel().parse_callback(request, {})
    assert [e.kind for e in events] == ["delivered", "replied"]
