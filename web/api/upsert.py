"""Writing an API request's records: all of them, or none.

The records go through the core's :class:`~shopcrm.ingest.Ingestor` (source ``"api"``), like
every other way orders arrive, with a batch larger than the request so that nothing is written
before :meth:`~shopcrm.ingest.Ingestor.close`: the whole request is one transaction. The
ingestor can still refuse a record the parser accepted (a mobile that is not a valid number
and no ``customer_id``: nobody to file the order under); then nothing is closed, nothing is
written, and the answer is 422 like any other invalid item.
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import Engine

from shopcrm.ingest import IngestStats, Ingestor
from shopcrm.sources import CustomerRecord, OrderRecord, RowError
from shopcrm.web.api.payload import invalid_items
from shopcrm.web.api.problems import FieldProblem

SOURCE = "api"


def _problem(error: RowError) -> FieldProblem:
    """The ingestor's error about a record, by the record's position (its ``row``).

    Its only refusal is a customer it cannot identify; the parser has made sure there is a
    ``customer_id`` or a ``mobile``, so it is the mobile that is not a valid number."""
    return FieldProblem(error.row, "mobile",
                        "not a valid mainland mobile number, and no customer_id: "
                        "cannot tell who the customer is")


def upsert(engine: Engine, shop_id: int, records: Sequence[OrderRecord | CustomerRecord],
           problems: Sequence[FieldProblem] = (), count: int | None = None) -> IngestStats:
    """Insert or update ``records`` in ``shop_id`` in one transaction.

    ``problems`` are the request's items the parser already refused (of ``count`` items in
    all): with those, or with any record the ingestor refuses, nothing is written and the
    answer is 422 listing them all.
    """
    refused: list[RowError] = []
    ingestor = Ingestor(engine, shop_id, source=SOURCE, batch_size=len(records) + 1,
                        on_error=refused.append)
    for record in records:
        ingestor.add(record)
    if problems or refused:
        every = [*problems, *(_problem(error) for error in refused)]
        raise invalid_items(every, count if count is not None else len(records))
    return ingestor.close()
