"""The SQL building blocks that differ between SQLite and PostgreSQL, run on the test database."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Numeric, String, Table, cast, insert, literal, null, select

from shopcrm.sql import IdList, id_list, id_rows, in_ids, json_numbers, json_object, not_indexed, whole_days_since


def _json(engine: Engine, expression) -> object:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        value = conn.execute(select(expression)).scalar_one()
    return json.loads(value) if isinstance(value, str) else value


def test_json_numbers_gives_the_object_json_object_gives(engine: Engine) -> None:
    dialect = engine.dialect.name
    values = {"r": literal(12), "f": cast(literal(3), Integer), "m": cast(literal(Decimal("1234.50")), Numeric(14, 2)),
              "none": null()}
    ours = _json(engine, json_numbers(dialect, **values))
    assert ours == {"r": 12, "f": 3, "m": 1234.5, "none": None}
    assert ours == _json(engine, json_object(dialect, **values))
    assert _json(engine, json_numbers(dialect)) == {}


def test_json_numbers_refuses_a_key_that_is_not_a_plain_name(engine: Engine) -> None:
    with pytest.raises(ValueError, match="not a plain name"):
        json_numbers(engine.dialect.name, **{'a", "b': literal(1)})


def test_whole_days_since_rounds_down(engine: Engine) -> None:
    now = dt.datetime(2026, 11, 29, 12, 0)
    day_and_a_half = literal(now - dt.timedelta(days=1, hours=12))
    with engine.connect() as conn:
        assert conn.execute(select(whole_days_since(now, day_and_a_half, engine.dialect.name))).scalar_one() == 1


def test_id_rows_are_the_ids_once_each_as_rows_a_query_can_filter(engine: Engine) -> None:
    rows = id_rows([5, 3, 3, 9, 1], engine.dialect.name)
    with engine.connect() as conn:
        assert sorted(conn.execute(select(rows.c.value)).scalars()) == [1, 3, 5, 9]
        missing = select(rows.c.value).where(rows.c.value.not_in(select(literal(3)).union_all(select(literal(9)))))
        assert sorted(conn.execute(missing).scalars()) == [1, 5]
        assert list(conn.execute(select(id_rows([], engine.dialect.name).c.value)).scalars()) == []


def test_an_id_list_is_made_once_and_read_as_the_ids_it_holds(engine: Engine) -> None:
    ids = id_list([5, 3, 3, 9, 1])
    assert isinstance(ids, IdList) and ids == [1, 3, 5, 9]
    assert id_list(ids) is ids  # a run's statements share it as it is
    assert ids.json == "[1, 3, 5, 9]" and ids.json is ids.json
    dialect = engine.dialect.name
    candidates = select(literal(3).label("n")).union_all(select(literal(4)), select(literal(9))).subquery()
    with engine.connect() as conn:
        assert sorted(conn.execute(select(candidates.c.n).where(in_ids(candidates.c.n, ids, dialect))).scalars()) == [3, 9]
        assert sorted(conn.execute(select(id_rows(ids, dialect).c.value)).scalars()) == [1, 3, 5, 9]


def test_a_condition_on_a_column_not_indexed_holds_for_the_same_rows(engine: Engine) -> None:
    table = Table("sql_not_indexed", MetaData(), Column("id", Integer, primary_key=True), Column("status", String(20)))
    table.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(insert(table), [{"id": n, "status": s} for n, s in enumerate(["paid", "closed", "signed"])])
            found = conn.execute(select(table.c.id).where(not_indexed(table.c.status).in_(["paid", "signed"]))
                                 .order_by(table.c.id)).scalars().all()
        assert found == [0, 2]
    finally:
        table.drop(engine)
