"""Bulk writes (shopcrm.bulk): what COPY or executemany stores reads back as the ORM's own INSERT
would have it, on every database."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from shopcrm import bulk
from shopcrm_sms_mock.models import Submission

TABLE = Submission.__table__
COLUMNS = ("message_id", "number", "text", "template_code", "template_params", "gateway_id", "status",
           "error_code", "attempts", "submitted_at", "due_at", "resends")
VARIANTS = [{}, {"template_code": "SMS_1", "template_params": {"code": "1234", "店": "测试"}},
            {"status": "rejected", "gateway_id": None, "due_at": None, "error_code": "E", "text": "引号'\"\\\t换行\n"}]


def row(message_id: int, **values) -> dict:
    at = dt.datetime(2026, 11, 22, 12, 0, 1, 250)
    return {"message_id": message_id, "number": "13800000001", "text": "【测试店】您好", "template_code": None,
            "template_params": None, "gateway_id": "123^0", "status": "accepted", "error_code": None,
            "attempts": 1, "submitted_at": at, "due_at": at + dt.timedelta(seconds=5), "resends": 0, **values}


def read_back(session, first: int) -> list[tuple]:
    columns = [TABLE.c[name] for name in COLUMNS if name != "message_id"]
    return [tuple(r) for r in session.execute(select(*columns).where(TABLE.c.message_id >= first,
                                                                     TABLE.c.message_id < first + 100)
                                              .order_by(TABLE.c.message_id))]


def test_written_rows_read_back_as_the_orm_s_insert_would_have_them(session) -> None:
    connection = session.connection()
    written = bulk.write(connection, TABLE, COLUMNS,
                         [tuple(row(1 + i, **v)[name] for name in COLUMNS) for i, v in enumerate(VARIANTS)])
    connection.execute(insert(TABLE), [row(101 + i, **v) for i, v in enumerate(VARIANTS)])
    session.commit()
    assert written == len(VARIANTS)
    ours, theirs = read_back(session, 1), read_back(session, 101)
    assert ours == theirs and len(ours) == len(VARIANTS)
    loaded = {s.message_id: s for s in session.scalars(select(Submission))}
    assert loaded[2].template_params == {"code": "1234", "店": "测试"} and loaded[1].template_params is None
    assert loaded[1].submitted_at == row(1)["submitted_at"] and loaded[3].due_at is None
    assert loaded[3].text == "引号'\"\\\t换行\n"


def test_nothing_to_write_writes_nothing(session) -> None:
    assert bulk.write(session.connection(), TABLE, COLUMNS, []) == 0
    assert session.scalars(select(Submission)).all() == []
