"""The OutId of a request: which outbox messages it carries.

SendSms carries one message and its OutId is that message's id (``"1234"``). SendBatchSms has
a single OutId for the whole request, so it lists every id in the batch as ranges
(``"101-150,152,160-199"``); the receipts and the send details echo it back, and the phone
number says which of the batch's messages a receipt is about. Aliyun keeps an OutId under
256 characters: :data:`MAX_LENGTH`.
"""
from __future__ import annotations

import re
from typing import Iterable

MAX_LENGTH = 255

MAX_SPAN = 1000
"""A range wider than this is not one of ours (a batch holds at most 100 messages)."""

PATTERN = re.compile(r"[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*")


def encode(ids: Iterable[int]) -> str:
    """``ids`` as sorted, comma-separated ranges: ``[3, 1, 2, 7]`` → ``"1-3,7"``."""
    ranges: list[list[int]] = []
    for n in sorted(set(ids)):
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in ranges)


def decode(out_id: str | None) -> set[int]:
    """The ids an OutId names; an empty set for anything that is not one of ours."""
    ids: set[int] = set()
    if not out_id or not PATTERN.fullmatch(out_id):
        return ids
    for part in out_id.split(","):
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if high < low or high - low > MAX_SPAN:
            return set()
        ids.update(range(low, high + 1))
    return ids


def single(out_id: str | None) -> int | None:
    """The message id when the OutId names exactly one message, else ``None``."""
    ids = decode(out_id)
    return next(iter(ids)) if len(ids) == 1 else None
