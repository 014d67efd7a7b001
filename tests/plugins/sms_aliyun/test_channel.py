"""Sending through the fake Dysmsapi over HTTP: batches, error codes, timeouts and reconciling."""
from __future__ import annotations

import json
import socket


import pytest

from shopcrm.channels import OutgoingMessage, SendResult
from shopcrm_sms_aliyun import outid
from shopcrm_sms_aliyun.channel import AliyunSmsChannel
from tests.plugins.sms_aliyun.aliyun_fake import FakeDysmsapi


def message(i: int, template: str | None = "SMS_100", to: str | None = None, **params: str) -> OutgoingMessage:
    return OutgoingMessage(id=i, to=to or f"1380000{i:04d}", text=f"text {i}", template_code=template,
                           params=params or {"name": f"客户{i}"})


def by_id(results: list[SendResult]) -> dict[int, SendResult]:
    return {r.message_id: r for r in results}


def test_the_channel_describes_itself(channel: AliyunSmsChannel) -> None:
    assert (channel.name, channel.label, channel.kind, channel.max_batch) == ("sms_aliyun", "阿里云短信", "sms", 100)
    fields = {f.name: f for f in channel.settings_fields()}
    assert list(fields)[:5] == ["access_key_id", "access_key_secret", "sign_name", "endpoint", "region"]
    assert fields["access_key_secret"].secret and not fields["access_key_id"].secret
    assert fields["endpoint"].default == "https://dysmsapi.aliyuncs.com"
    assert fields["region"].default == "cn-hangzhou"


def test_one_message_goes_by_sendsms_with_its_id_as_outid(channel, settings, fake: FakeDysmsapi) -> None:
    [result] = channel.send_batch([message(7, name="小王", order="E1001")], settings)
    assert result.status == "accepted" and result.gateway_id == fake.submissions[0].biz_id
    [request] = fake.requests
    assert request["Action"] == "SendSms" and request["OutId"] == "7"
    assert request["PhoneNumbers"] == "13800000007" and request["SignName"] == "小店旗舰店"
    assert request["TemplateCode"] == "SMS_100"
    assert json.loads(request["TemplateParam"]) == {"name": "小王", "order": "E1001"}
    assert request["Format"] == "JSON" and request["Version"] == "2017-05-25"
    assert request["SignatureMethod"] == "HMAC-SHA1" and request["SignatureVersion"] == "1.0"


def test_a_batch_of_100_sharing_a_template_is_one_sendbatchsms(channel, settings, fake) -> None:
    messages = [message(1000 + i) for i in range(100)]
    results = channel.send_batch(messages, settings)
    assert len(results) == 100 and {r.status for r in results} == {"accepted"}
    [request] = fake.requests
    assert request["Action"] == "SendBatchSms"
    assert json.loads(request["PhoneNumberJson"]) == [m.to for m in messages]
    assert json.loads(request["SignNameJson"]) == ["小店旗舰店"] * 100
    assert json.loads(request["TemplateParamJson"]) == [dict(m.params) for m in messages]
    assert outid.decode(request["OutId"]) == {m.id for m in messages}
    assert request["OutId"] == "1000-1099"
    assert {r.gateway_id for r in results} == {fake.submissions[0].biz_id}


def test_more_than_max_batch_is_a_programming_error(channel, settings) -> None:
    with pytest.raises(ValueError):
        channel.send_batch([message(i) for i in range(101)], settings)


def test_different_templates_and_repeated_numbers_split_the_requests(channel, settings, fake) -> None:
    messages = [message(1), message(2), message(3, to="13800000001"), message(4, template="SMS_200"),
                message(5, template=None)]
    results = by_id(channel.send_batch(messages, settings))
    assert [results[i].status for i in (1, 2, 3, 4)] == ["accepted"] * 4
    assert results[5].status == "rejected" and results[5].error_code == "NO_TEMPLATE"
    shapes = sorted((r["Action"], r.get("OutId")) for r in fake.requests)
    # 1 and 2 together; 3 repeats 1's number so it goes in a request of its own; 4 has its own template.
    assert shapes == [("SendBatchSms", "1-2"), ("SendSms", "3"), ("SendSms", "4")]


def test_scattered_ids_whose_outid_is_too_long_are_split(channel, settings, fake) -> None:
    messages = [message(10_000_000 + 7 * i) for i in range(100)]
    results = channel.send_batch(messages, settings)
    assert {r.status for r in results} == {"accepted"}
    assert len(fake.requests) > 1
    assert all(len(r["OutId"]) <= outid.MAX_LENGTH for r in fake.requests)
    sent = set().union(*(outid.decode(r["OutId"]) for r in fake.requests))
    assert sent == {m.id for m in messages}


@pytest.mark.parametrize("code, status", [
    ("Throttling.User", "retry"),
    ("Throttling", "retry"),
    ("isp.SYSTEM_ERROR", "retry"),
    ("isv.BUSINESS_LIMIT_CONTROL", "rejected"),
    ("isv.MOBILE_NUMBER_ILLEGAL", "rejected"),
    ("isv.SMS_TEMPLATE_ILLEGAL", "rejected"),
    ("isv.SMS_SIGNATURE_ILLEGAL", "rejected"),
    ("isv.AMOUNT_NOT_ENOUGH", "rejected"),
    ("isv.OUT_OF_SERVICE", "rejected"),
    ("isv.INVALID_PARAMETERS", "rejected"),
])
def test_each_error_code_maps_to_a_send_status(channel, settings, fake, code: str, status: str) -> None:
    fake.next_codes.append(code)
    [result] = channel.send_batch([message(1)], settings)
    assert (result.status, result.error_code) == (status, code)
    assert fake.submissions == []


@pytest.mark.parametrize("code, status", [
    ("Throttling.User", "retry"),
    ("isv.SMS_TEMPLATE_ILLEGAL", "rejected"),
    ("isv.AMOUNT_NOT_ENOUGH", "rejected"),
])
def test_a_batch_wide_error_applies_to_every_message(channel, settings, fake, code: str, status: str) -> None:
    fake.next_codes.append(code)
    results = channel.send_batch([message(i) for i in range(1, 4)], settings)
    assert {(r.status, r.error_code) for r in results} == {(status, code)}
    assert len(fake.requests) == 1


def test_a_batch_refused_for_one_bad_number_is_sent_message_by_message(channel, settings, fake) -> None:
    fake.bad_numbers.add("13800000002")
    results = by_id(channel.send_batch([message(i) for i in range(1, 4)], settings))
    assert results[2].status == "rejected" and results[2].error_code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert results[1].status == results[3].status == "accepted"
    assert [s.phone for s in fake.submissions] == ["13800000001", "13800000003"]


def test_a_wrong_secret_is_refused_by_the_signature_check(channel, settings, fake) -> None:
    [result] = channel.send_batch([message(1)], {**settings, "access_key_secret": "wrong"})
    assert (result.status, result.error_code) == ("rejected", "SignatureDoesNotMatch")
    assert fake.submissions == []
    assert "wrong" not in (result.error or "")


def test_no_connection_at_all_is_safe_to_retry(channel, settings) -> None:
    with socket.socket() as spare:  # a port with nobody listening
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    [result] = channel.send_batch([message(1)], {**settings, "endpoint": f"http://127.0.0.1:{port}"})
    assert result.status == "retry"


def test_a_timeout_after_sending_is_unknown_and_query_reconciles_it(channel, settings, fake) -> None:
    fake.delay = 1.5
    quick = {**settings, "timeout": "0.3"}
    results = by_id(channel.send_batch([message(1), message(2), message(3, template="SMS_300")], quick))
    assert {r.status for r in results.values()} == {"unknown"}
    assert len(fake.submissions) == 3  # the gateway had them all
    fake.delay = 0
    fake.submissions[1].send_status, fake.submissions[1].err_code = 2, "MOBILE_NOT_ON_SERVICE"
    queried = by_id(channel.query([message(1), message(2), message(3, template="SMS_300")], settings))
    assert (queried[1].status, queried[1].error_code) == ("accepted", "DELIVERED")
    assert (queried[2].status, queried[2].error_code) == ("rejected", "MOBILE_NOT_ON_SERVICE")
    assert queried[3].status == "accepted"
    queries = [r for r in fake.requests if r["Action"] == "QuerySendDetails"]
    assert {q["PhoneNumber"] for q in queries} == {"13800000001", "13800000002", "13800000003"}
    assert all(len(q["SendDate"]) == 8 for q in queries)
    sends = [r for r in fake.requests if r["Action"] != "QuerySendDetails"]
    assert len(sends) == 2  # reconciling never sends again


def test_query_finds_a_message_among_others_to_the_same_number(channel, settings, fake) -> None:
    channel.send_batch([message(1, to="13900000000")], settings)
    channel.send_batch([message(2, to="13900000000")], settings)
    fake.submissions[0].send_status, fake.submissions[0].err_code = 2, "USER_REJECTED"
    [first, second] = channel.query([message(1, to="13900000000"), message(2, to="13900000000")], settings)
    assert (first.status, first.error_code) == ("rejected", "USER_REJECTED")
    assert second.status == "accepted"


def test_a_message_the_gateway_never_had_stays_unknown_until_it_should_show(channel, settings, fake) -> None:
    import dataclasses
    import datetime as dt

    from shopcrm_sms_aliyun.channel import SHOWS_UP_WITHIN

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    [unsure] = channel.query([dataclasses.replace(message(9), sent_at=now - dt.timedelta(minutes=1))], settings)
    assert unsure.status == "unknown"
    [undated] = channel.query([message(9)], settings)
    assert undated.status == "unknown"
    [never] = channel.query([dataclasses.replace(message(9), sent_at=now - SHOWS_UP_WITHIN)], settings)
    assert (never.status, never.error_code) == ("retry", "NOT_FOUND")
    assert {r["Action"] for r in fake.requests} == {"QuerySendDetails"}


def test_a_failing_query_leaves_the_message_unknown(channel, settings, fake) -> None:
    [result] = channel.query([message(9)], {**settings, "access_key_secret": "wrong"})
    assert result.status == "unknown" and "SignatureDoesNotMatch" in (result.error or "")


def test_the_secret_is_never_in_the_request(channel, settings, fake) -> None:
    channel.send_batch([message(1)], settings)
    assert all(settings["access_key_secret"] not in value for value in fake.requests[0].values())




def test_the_plugin_registers_the_channel(config) -> None:
    from shopcrm.registry import get_registry

    assert isinstance(get_registry().channels["sms_aliyun"], AliyunSmsChannel)


def test_the_credentials_never_show_the_secret(settings) -> None:
    from shopcrm_sms_aliyun.channel import client_for

    credentials = client_for(settings).credentials
    assert settings["access_key_secret"] not in repr(credentials)
    assert settings["access_key_secret"] not in str(credentials)
