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


MASK = "****"


def mask_mobile(mobile: str | None) -> str:
    """138****1234: the first 3 and last 4 digits stay, for roles that may not see the number.

    Shorter values keep only their last 2 characters; a leading ``+86`` stays. An email address
    (what an email channel's opt-outs and messages hold) keeps the first 2 characters of its
    name and its domain: ``wa****@example.com``.
    """
    if not mobile:
        return ""
    value = mobile.strip()
    name, at, domain = value.rpartition("@")
    if at and name:
        return f"{name[:2] if len(name) > 2 else ''}{MASK}@{domain}"
    prefix = ""
    if value.startswith("+"):
        prefix, value = value[:3], value[3:]
    if len(value) >= 8:
        return f"{prefix}{value[:3]}{MASK}{value[-4:]}"
    if len(value) > 2:
        return f"{prefix}{MASK}{value[-2:]}"
    return f"{prefix}{MASK}" if value else mobile
