"""The channel contract's own behaviour: result statuses and billed SMS parts."""
from __future__ import annotations

import pytest

from shopcrm.channels import Channel, OutgoingMessage, SendResult


class Echo(Channel):
    name = "echo"
    label = "Echo"

    def send_batch(self, messages, settings):
        return [SendResult(m.id, "accepted") for m in messages]


@pytest.mark.parametrize(("length", "parts"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_count_segments_bills_70_then_67_per_part(length, parts):
    assert Echo().count_segments("好" * length) == parts


def test_send_result_refuses_an_unknown_status():
    with pytest.raises(ValueError, match="must be one of"):
        SendResult(1, "sent")  # type: ignore[arg-type]


def test_default_query_leaves_outcomes_unknown_for_an_operator():
    messages = [OutgoingMessage(id=5, to="13800000000", text="hi")]
    assert Echo().query(messages, {}) == [SendResult(5, "unknown")]


def test_a_channel_must_implement_send_batch():
    class Lazy(Channel):
        name = "lazy"
        label = "Lazy"

    with pytest.raises(TypeError, match="send_batch"):
        Lazy()  # type: ignore[abstract]
