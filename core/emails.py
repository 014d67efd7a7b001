"""Email addresses: what counts as one a message can be sent to, in Python and in SQL alike.

An address is what the customer record holds with surrounding spaces removed and ASCII letters
in lower case (``Zhang.San@Example.COM `` -> ``zhang.san@example.com``): the form opt-outs are
keyed by and duplicates are found on. It is valid when it has one ``@``, something before it, a
domain with a dot inside it after, and no spaces, tabs or line breaks. The check is deliberately
loose (a mail server is the judge of the rest), and :func:`sql_valid` says exactly what
:func:`normalise_email` says, so a campaign's audience (SQL) and an automation (Python) agree on
who is reachable.
"""
from __future__ import annotations

import re
import string
from typing import Any

from sqlalchemy import and_, func, not_

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_VALID = re.compile(r"[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+")
_BLANKS = (" ", "\t", "\r", "\n")


def normalise_email(raw: str | None) -> tuple[str | None, bool]:
    """``(address, valid)``: ``raw`` trimmed of spaces, ASCII letters lowered; ``(None, False)``
    for empty input. An invalid address is returned as well (trimmed), not dropped."""
    if raw is None:
        return None, False
    address = raw.strip(" ").translate(_ASCII_LOWER)
    if not address:
        return None, False
    return address, _VALID.fullmatch(address) is not None


def is_email(raw: str | None) -> bool:
    """Whether ``raw`` is a valid address (:func:`normalise_email`)."""
    return normalise_email(raw)[1]


def sql_address(column: Any) -> Any:
    """``column`` as :func:`normalise_email` gives it, in SQL (``lower(trim(column))``)."""
    return func.lower(func.trim(column))


def sql_valid(column: Any) -> Any:
    """SQL true when ``column`` holds a valid address (:func:`normalise_email`'s rule)."""
    address = func.trim(column)
    return and_(column.is_not(None), address.like("_%@_%._%"), not_(address.like("%@%@%")),
                *(not_(address.contains(blank, autoescape=True)) for blank in _BLANKS))


__all__ = ["is_email", "normalise_email", "sql_address", "sql_valid"]
