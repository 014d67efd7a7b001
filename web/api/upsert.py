"""Writing an API request's records: all of them, or none.

The records go through the core's :class:`~shopcrm.ingest.Ingestor` (source ``"api"``), like
every other way orders arrive, with a batch larger than the request so that nothing is written
before :meth:`~shopcrm.ingest.Ingestor.close`: the whole request is one transaction. The
ingestor can still refuse a record the parser accepted (a mobile that is not a valid number
and no ``customer_id``: nobody to file the order under; a review of an order it does not
know); then nothing is written (the batch is rolled back) and the answer is 422 like any other
invalid item.
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import Engine

from shopcrm.ingest import IngestStats, Ingestor, Refused
from shopcrm.sources import CustomerRecord, OrderRecord, ReviewRecord, RowError
from shopcrm.web.api.payload import invalid_items
from shopcrm.web.api.problems import FieldProblem

SOURCE = "api"


def _problem(error: RowError) -> FieldProblem:
    """The ingestor's error about a record, by the record's position (its ``row``).

    It refuses a customer it cannot identify (the parser has made sure there is a
    ``customer_id`` or a ``mobile``, so it is the mobile that is not a valid number) and a
    review of an order it does not know, which names its field."""
    if error.column == "customer":
        return FieldProblem(error.row, "mobile",
                            "not a valid mainland mobile number, and no customer_id: "
                            "cannot tell who the customer is")
    return FieldProblem(error.row, error.column, error.reason)


def upsert(engine: Engine, shop_id: int, records: Sequence[OrderRecord | CustomerRecord | ReviewRecord],
           problems: Sequence[FieldProblem] = (), count: int | None = None) -> IngestStats:
    """Insert or update ``records`` in ``shop_id`` in one transaction.

    ``problems`` are the request's items the parser already refused (of ``count`` items in
    all): with those, or with any record the ingestor refuses, nothing is written and the
    answer is 422 listing them all.
    """
    refused: list[RowError] = []
    ingestor = Ingestor(engine, shop_id, source=SOURCE, batch_size=len(records) + 1,
                        on_error=refused.append, all_or_nothing=True)
    for problem in problems:  # counted as refusals, so that nothing is written
        ingestor.add(RowError(problem.index, problem.field, problem.message))
    for record in records:
        ingestor.add(record)
    try:
        stats = ingestor.close()
    except Refused:  # the transaction was rolled back
        stats = None
    if stats is None or refused:
        raise invalid_items([_problem(error) for error in refused], count if count is not None else len(records))
    return stats
