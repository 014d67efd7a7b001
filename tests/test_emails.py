"""Email addresses: the Python check and the SQL one agree on every case, and addresses are
compared trimmed and in lower case."""
from __future__ import annotations

import pytest
from sqlalchemy import literal, select

from shopcrm.emails import normalise_email, sql_address, sql_valid

CASES = [
    ("wang@example.com", "wang@example.com", True),
    ("  Li.Na@Example.COM ", "li.na@example.com", True),
    ("a@b.c", "a@b.c", True),
    ("no-at-sign.example.com", "no-at-sign.example.com", False),
    ("two@@example.com", "two@@example.com", False),
    ("a@b@example.com", "a@b@example.com", False),
    ("@example.com", "@example.com", False),
    ("nodot@localhost", "nodot@localhost", False),
    ("dot@.com", "dot@.com", False),
    ("trailing@example.", "trailing@example.", False),
    ("has space@example.com", "has space@example.com", False),
    ("tab\t@example.com", "tab\t@example.com", False),
]


@pytest.mark.parametrize(("raw", "address", "valid"), CASES)
def test_python_and_sql_agree_on_each_address(session, raw, address, valid) -> None:
    assert normalise_email(raw) == (address, valid)
    value = literal(raw)
    found_address, found_valid = session.execute(select(sql_address(value), sql_valid(value))).one()
    assert (found_address, bool(found_valid)) == (address, valid)


def test_nothing_is_no_address() -> None:
    assert normalise_email(None) == (None, False)
    assert normalise_email("   ") == (None, False)
