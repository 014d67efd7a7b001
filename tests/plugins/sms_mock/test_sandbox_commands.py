"""``shopcrm sms-mock log`` lists what the sandbox received."""
from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from shopcrm.cli import build_cli
from sms_mock_support import message


def run(*args):
    return CliRunner().invoke(build_cli(), list(args))


def test_log_json_lists_submissions_newest_first(channel):
    channel.send_batch([message(1, "13812345678", "第一条"), message(2, "13987654321", "第二条"),
                        message(3, "123", "坏号码")], {})
    result = run("sms-mock", "log", "--json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["message_id"] for r in records] == [3, 2, 1]
    newest = records[1]
    assert {k: newest[k] for k in ("number", "text", "message_id", "status")} == {
        "number": "13987654321", "text": "第二条", "message_id": 2, "status": "accepted"}
    dt.datetime.fromisoformat(newest["at"])
    assert records[0]["status"] == "rejected"


def test_log_by_number_and_limit(channel):
    channel.send_batch([message(i, text=f"第{i}条") for i in range(1, 4)], {})
    by_number = json.loads(run("sms-mock", "log", "--json", "--number", "13800000002").output)
    assert [r["text"] for r in by_number] == ["第2条"]
    assert [r["message_id"] for r in json.loads(run("sms-mock", "log", "--json", "--limit", "2").output)] == [3, 2]
    plain = run("sms-mock", "log")
    assert plain.exit_code == 0 and "13800000001" in plain.output and "第1条" in plain.output


def test_log_of_an_empty_sandbox(config):
    result = run("sms-mock", "log", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == []
