"""Fixtures for the email channel: a real SMTP server (aiosmtpd) in this process, stopped after
each test."""
from __future__ import annotations

from typing import Iterator

import pytest
from aiosmtpd.controller import Controller

from email_smtp_support import Handler, start_server


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def smtp_server(handler: Handler) -> Iterator[Controller]:
    controller = start_server(handler)
    yield controller
    controller.stop()
