"""Fixtures for the SMS sandbox: the channel on the test database with a clock the test moves,
and a loose plugin file that writes every message event it is given to a JSON Lines file."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Callable

import pytest

from shopcrm.config import Config
from shopcrm.plugins import reset_plugin_manager
from shopcrm_sms_mock.channel import MockSmsChannel
from sms_mock_support import NOW

RECORDER = '''
import json
import os

from shopcrm import hookimpl


@hookimpl
def on_message_event(event):
    with open(os.environ["SMS_MOCK_TEST_EVENTS"], "a", encoding="utf-8") as out:
        out.write(json.dumps({"kind": event.kind, "channel": event.channel, "message_id": event.message_id,
                              "gateway_id": event.gateway_id, "mobile": event.mobile, "text": event.text,
                              "error_code": event.error_code}, ensure_ascii=False) + "\\n")
'''


class Clock:
    """A settable 'now' for the channel."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(autouse=True)
def events(config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[dict]]:
    """The message events raised so far, as the recorder plugin saw them."""
    folder = tmp_path / "loose_plugins"
    folder.mkdir()
    (folder / "event_recorder.py").write_text(RECORDER)
    log = tmp_path / "events.jsonl"
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(folder))
    monkeypatch.setenv("SMS_MOCK_TEST_EVENTS", str(log))
    reset_plugin_manager()

    def read() -> list[dict]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    return read


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def channel(config: Config, clock: Clock) -> MockSmsChannel:
    return MockSmsChannel(config, clock=clock)
