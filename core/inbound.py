"""Replies customers sent, as the replies page reads them: newest first, a page at a time.

Each reply is shown with whether it is an opt-out, told by the shop's current keywords through
the same matcher that opts numbers out when a reply arrives (:func:`shopcrm.opt_outs.is_opt_out`,
through :func:`~shopcrm.opt_outs.opt_out_matcher`).
That test is made on the text in Python (full-width folding and end punctuation are not SQL),
so a page filtered to opt-outs or to other replies reads the shop's replies in batches, newest
first on the ``(shop_id, received_at)`` index, until the page is full or :data:`SCAN_LIMIT`
replies were read; the next page goes on from the last reply read, so nothing is skipped.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Literal

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from shopcrm.models import Customer, Inbound, Message
from shopcrm.opt_outs import keywords, mobile_digits, opt_out_matcher

Kind = Literal["opt_out", "other"]
KINDS: tuple[Kind, ...] = ("opt_out", "other")

SCAN_LIMIT = 5000
"""Replies read at most for one filtered page."""
BATCH = 500


@dataclass(slots=True)
class ReplyRow:
    """A reply, the customer it came from and the message it answered (when known)."""

    inbound: Inbound
    customer: Customer | None
    message: Message | None
    is_opt_out: bool


@dataclass(slots=True)
class ReplyPage:
    """A page of replies, newest first."""

    rows: list[ReplyRow]
    next_after: str | None
    """The cursor of the next page (``<received_at ISO>_<id>``), ``None`` on the last page."""


def cursor(inbound: Inbound) -> str:
    """The keyset cursor that continues after ``inbound``."""
    return f"{inbound.received_at.isoformat()}_{inbound.id}"


def parse_cursor(after: str | None) -> tuple[dt.datetime, int] | None:
    """``(received_at, id)`` of a cursor; ``None`` for no cursor or one that is not well formed."""
    stamp, sep, last_id = (after or "").rpartition("_")
    if not sep or not last_id.isdigit():
        return None
    try:
        return dt.datetime.fromisoformat(stamp), int(last_id)
    except ValueError:
        return None


def _narrowed(statement: Select[Any], shop_id: int, digits: str,
              after: tuple[dt.datetime, int] | None) -> Select[Any]:
    """The shop's replies of mobiles ending in ``digits``, newest first, after ``after``: a
    range of the ``(shop_id, received_at)`` index (a row-value comparison, not an OR)."""
    statement = statement.where(Inbound.shop_id == shop_id)
    digits = mobile_digits(digits)
    if len(digits) == 11:
        statement = statement.where(Inbound.mobile == digits)
    elif digits:
        statement = statement.where(Inbound.mobile.endswith(digits, autoescape=True))
    if after is not None:
        statement = statement.where(tuple_(Inbound.received_at, Inbound.id) < tuple_(*after))
    return statement.order_by(Inbound.received_at.desc(), Inbound.id.desc())


def _rows(session: Session, statement: Select[Any], matches: Callable[[str], bool]) -> list[ReplyRow]:
    """Replies with their customer and the message they answered (outer joins)."""
    joined = (statement.add_columns(Customer, Message)
              .outerjoin(Customer, Customer.id == Inbound.customer_id)
              .outerjoin(Message, Message.id == Inbound.message_id))
    return [ReplyRow(inbound, customer, message, matches(inbound.text))
            for inbound, customer, message in session.execute(joined)]


def reply_page(session: Session, shop_id: int, kind: Kind | None = None, digits: str = "",
               after: str | None = None, limit: int = 50) -> ReplyPage:
    """The shop's replies newest first, after the cursor ``after``: all of them, only the
    opt-outs (``kind="opt_out"``) or only the others, of mobiles ending in ``digits``.

    Unfiltered, a page is one query. Filtered, the replies' texts alone are read in batches and
    tested; the replies kept are then read in full, by id.
    """
    matches = opt_out_matcher(keywords(session, shop_id))
    position = parse_cursor(after)
    if kind is None:
        rows = _rows(session, _narrowed(select(Inbound), shop_id, digits, position).limit(limit + 1), matches)
        return ReplyPage(rows[:limit], cursor(rows[limit - 1].inbound) if len(rows) > limit else None)
    wanted = kind == "opt_out"
    kept: list[tuple[dt.datetime, int]] = []
    read = 0
    while len(kept) <= limit and read < SCAN_LIMIT:
        batch = session.execute(_narrowed(select(Inbound.received_at, Inbound.id, Inbound.text),
                                          shop_id, digits, position).limit(BATCH)).all()
        for received_at, inbound_id, text in batch:
            read += 1
            position = (received_at, inbound_id)
            if matches(text) == wanted:
                kept.append(position)
                if len(kept) > limit:
                    break
        if len(batch) < BATCH:
            break
    more = len(kept) > limit or read >= SCAN_LIMIT
    if len(kept) > limit:
        position = kept[limit - 1]
        kept = kept[:limit]
    ids = [inbound_id for _received, inbound_id in kept]
    rows = _rows(session, select(Inbound).where(Inbound.id.in_(ids))
                 .order_by(Inbound.received_at.desc(), Inbound.id.desc()), matches) if ids else []
    next_after = f"{position[0].isoformat()}_{position[1]}" if more and position else None
    return ReplyPage(rows, next_after)


__all__ = ["KINDS", "Kind", "ReplyPage", "ReplyRow", "SCAN_LIMIT", "cursor", "parse_cursor", "reply_page"]
