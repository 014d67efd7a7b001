"""Mainland China mobile numbers: normalising what shops export, and masking them for display."""
from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-()（）.+]")
_MAINLAND = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(raw: str | None) -> tuple[str | None, bool]:
    """``(number, valid)``: an 11-digit mainland mobile with +86/0086/86 and separators removed.

    An invalid number is returned stripped, not dropped, so it stays on the customer (who is then
    unreachable by SMS). Empty input gives ``(None, False)``.
    """
    if raw is None:
        return None, False
    text = raw.strip()
    if not text:
        return None, False
    if text.endswith(".0"):  # spreadsheets turn numbers into floats
        text = text[:-2]
    digits = _SEPARATORS.sub("", text)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if _MAINLAND.match(digits):
        return digits, True
    return text[:20], False


def mask_mobile(mobile: str | None) -> str:
    """138****1234: the first three and last four digits of a mobile, for roles that may not see it."""
    if not mobile:
        return ""
    if len(mobile) >= 8:
        return f"{mobile[:3]}****{mobile[-4:]}"
    return "*" * len(mobile)
