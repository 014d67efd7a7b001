"""Fixtures for the Aliyun SMS channel: the fake Dysmsapi on a local port and the settings
that point the channel at it."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from shopcrm_sms_aliyun.channel import AliyunSmsChannel
from tests.plugins.sms_aliyun.aliyun_fake import ACCESS_KEY_ID, ACCESS_KEY_SECRET, FakeDysmsapi, FakeServer


@pytest.fixture
def fake() -> FakeDysmsapi:
    return FakeDysmsapi()


@pytest.fixture
def server(fake: FakeDysmsapi) -> Iterator[FakeServer]:
    with FakeServer(fake) as running:
        yield running


@pytest.fixture
def settings(server: FakeServer) -> dict[str, Any]:
    return {
        "access_key_id": ACCESS_KEY_ID,
        "access_key_secret": ACCESS_KEY_SECRET,
        "sign_name": "小店旗舰店",
        "endpoint": server.endpoint,
        "region": "cn-hangzhou",
        "timeout": "2",
    }


@pytest.fixture
def channel() -> AliyunSmsChannel:
    return AliyunSmsChannel()
