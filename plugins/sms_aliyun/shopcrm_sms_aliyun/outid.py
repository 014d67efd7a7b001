"""The OutId of a request: which outbox messages it carries.

SendSms carries one message and its OutId is that message's id (``"1234"``). SendBatchSms has
a single OutId for the whole request, so it lists every id in the batch as ranges
(``"101-150,152,160-199"``); the receipts and the send details echo it back, and the phone
number says which of the batch's messages a receipt is about. Aliyun keeps an OutId under
256 characters: :data:`MAX_LENGTH`.
"""
from __future__ import annotations

from typing import Iterable

MAX_LENGTH = 255


def encode(ids: Iterable[int]) -> str:
    """``ids`` as sorted, comma-separated ranges: ``[3, 1, 2, 7]`` → ``"1-3,7"``."""
    parts: list[str] = []
    ordered = sorted(set(ids))
    start = prev = None
    for n in ordered + [None]:  # type: ignore[operator]
        if start is not None and (n is None or n != prev + 1):
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
        if n is not None and start is None:
            start = n
        prev = n
    return ",".join(parts)


def decode(out_id: str | None) -> set[int]:
    """The ids an OutId names; an empty set for anything that is not one of ours."""
    ids: set[int] = set()
    if not out_id:
        return ids
    try:
        for part in out_id.split(","):
            first, _, last = part.partition("-")
            low, high = int(first), int(last or first)
            if low < 0 or high < low or high - low > 1000:
                return set()
            ids.update(range(low, high + 1))
    except ValueError:
        return set()
    return ids


def single(out_id: str | None) -> int | None:
    """The message id when the OutId names exactly one message, else ``None``."""
    ids = decode(out_id)
    return next(iter(ids)) if len(ids) == 1 else None
