"""``BulkInsert`` stores exactly what SQLAlchemy's own INSERT stores, on every database."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Text, cast, insert, select

from shopcrm_sms_mock.bulk import BulkInsert
from shopcrm_sms_mock.models import Submission

TABLE = Submission.__table__
COLUMNS = ("message_id", "number", "text", "template_code", "template_params", "gateway_id", "status",
           "error_code", "attempts", "submitted_at", "due_at", "resends")


def row(message_id: int, **values) -> dict:
    at = dt.datetime(2026, 11, 22, 12, 0, 1, 250)
    return {"message_id": message_id, "number": "13800000001", "text": "【测试店】您好", "template_code": None,
            "template_params": None, "gateway_id": "123^0", "status": "accepted", "error_code": None,
            "attempts": 1, "submitted_at": at, "due_at": at + dt.timedelta(seconds=5), "resends": 0, **values}


def stored_as_text(session, message_id: int) -> tuple:
    return session.execute(select(*[cast(TABLE.c[name], Text) for name in COLUMNS if name != "message_id"])
                           .where(TABLE.c.message_id == message_id)).one()


def test_bulk_rows_are_stored_as_sqlalchemy_stores_them(session):
    variants = [{}, {"template_code": "SMS_1", "template_params": {"code": "1234", "店": "测试"}},
                {"status": "rejected", "gateway_id": None, "due_at": None, "error_code": "E"}]
    connection = session.connection()
    BulkInsert(TABLE, COLUMNS)(connection, [row(1 + i, **v) for i, v in enumerate(variants)])
    connection.execute(insert(TABLE), [row(101 + i, **v) for i, v in enumerate(variants)])
    for i in range(len(variants)):
        assert stored_as_text(session, 1 + i) == stored_as_text(session, 101 + i)
    session.commit()
    loaded = {s.message_id: s for s in session.scalars(select(Submission))}
    assert loaded[2].template_params == {"code": "1234", "店": "测试"} and loaded[1].template_params is None
    assert loaded[1].submitted_at == row(1)["submitted_at"] and loaded[3].due_at is None


def test_an_empty_batch_writes_nothing(session):
    BulkInsert(TABLE, COLUMNS)(session.connection(), [])
    assert session.scalars(select(Submission)).all() == []


def test_a_column_with_a_default_must_be_given(session):
    import pytest

    with pytest.raises(ValueError, match="attempts"):
        BulkInsert(TABLE, [c for c in COLUMNS if c != "attempts"])(session.connection(), [row(1)])
