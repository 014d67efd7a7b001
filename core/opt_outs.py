"""Opt-outs: who said stop, on which channel, and the keywords that say it.

A reply whose whole text is one of the shop's keywords (default TD, T, R, 退订, 拒收; editable per
shop) opts that number out of the channel it came on. Replies are read the way phones send them:
full-width letters (ＴＤ), any case, spaces and trailing punctuation (退订。) do not matter; a
sentence that merely contains a keyword ("不要退订") is not an opt-out.

Opting out is idempotent (one row per shop, channel and number, with where it came from:
``reply``, ``form``, ``import``, ``operator`` or ``unsubscribe_link``); opting back in deletes the
row. Every send asks :func:`opted_out` first, for a whole batch of numbers in one query.

The address is what the channel's kind sends to (:mod:`shopcrm.channel_kinds`): a mobile for
SMS channels, an email address (lower case) for email channels, kept in the same ``mobile``
column.

The opt-out pages read the list a page at a time (:func:`list_opt_outs`, keyset on the id),
count it (:func:`count_opt_outs`) and export it in batches (:func:`iter_opt_outs`), filtered by
channel, source and the last digits of the mobile (:class:`ListFilter`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shopcrm.channel_kinds import kind_of
from shopcrm.models import Customer, OptOut, Setting
from shopcrm.sql import in_texts

DEFAULT_KEYWORDS: tuple[str, ...] = ("TD", "T", "R", "退订", "拒收")
SOURCES = ("reply", "form", "import", "operator", "unsubscribe_link")
_NAMESPACE = "opt_out_keywords"
_TRAILING = re.compile(r"[\s。．.!！?？,，~～]+$")


def normalise_reply(text: str) -> str:
    """A reply as keywords are compared: full-width folded, spaces and end punctuation gone,
    upper case."""
    folded = unicodedata.normalize("NFKC", text or "")
    return _TRAILING.sub("", re.sub(r"\s+", "", folded)).upper()


def keywords(session: Session, shop_id: int) -> tuple[str, ...]:
    """The shop's opt-out keywords (the defaults until the shop sets its own)."""
    saved = session.scalar(select(Setting.value).where(Setting.namespace == _NAMESPACE,
                                                       Setting.key == f"shop:{shop_id}"))
    return tuple(saved) if isinstance(saved, list) and saved else DEFAULT_KEYWORDS


def save_keywords(session: Session, shop_id: int, words: Iterable[str]) -> tuple[str, ...]:
    """Set the shop's keywords; blank ones dropped, each kept once. At least one is required."""
    cleaned = tuple(dict.fromkeys(normalise_reply(word) for word in words if normalise_reply(word)))
    if not cleaned:
        raise ValueError("give at least one opt-out keyword (e.g. TD or 退订)")
    row = session.scalar(select(Setting).where(Setting.namespace == _NAMESPACE, Setting.key == f"shop:{shop_id}"))
    if row is None:
        session.add(Setting(namespace=_NAMESPACE, key=f"shop:{shop_id}", value=list(cleaned)))
    else:
        row.value = list(cleaned)
    return cleaned


def opt_out_matcher(words: Sequence[str]) -> Callable[[str], bool]:
    """:func:`is_opt_out` for many replies: ``words`` normalised once, each reply once."""
    wanted = frozenset(normalise_reply(word) for word in words)

    def matches(text: str) -> bool:
        reply = normalise_reply(text)
        return bool(reply) and reply in wanted

    return matches


def is_opt_out(text: str, words: Sequence[str]) -> bool:
    """Whether a reply's whole text is one of ``words``."""
    return opt_out_matcher(words)(text)


def opt_out(session: Session, shop_id: int, channel: str, mobile: str, source: str) -> bool:
    """Opt ``mobile`` (the address ``channel`` sends to: a number, or an email address for an
    email channel) out of ``channel``; ``False`` when it already was (nothing changes)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    number, _ = kind_of(channel).normalise(mobile)
    if not number:
        raise ValueError("no mobile number given" if kind_of(channel).name == "sms" else "no address given")
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OptOut)
    added = session.execute(insert.values(shop_id=shop_id, channel=channel, mobile=number, source=source)
                            .on_conflict_do_nothing(index_elements=["shop_id", "channel", "mobile"])
                            .returning(OptOut.id)).first()
    return added is not None


def opt_in(session: Session, shop_id: int, channel: str, mobile: str) -> bool:
    """Let ``mobile`` be messaged on ``channel`` again; ``False`` when it was not opted out."""
    number, _ = kind_of(channel).normalise(mobile)
    result = session.execute(delete(OptOut).where(OptOut.shop_id == shop_id, OptOut.channel == channel,
                                                  OptOut.mobile == number))
    return bool(result.rowcount)


def opted_out(session: Session, shop_id: int, channel: str, mobiles: Iterable[str]) -> set[str]:
    """Which of ``mobiles`` (addresses as given) are opted out of ``channel``: one query."""
    normalise = kind_of(channel).normalise
    by_number: dict[str, list[str]] = {}
    for mobile in mobiles:
        number, _ = normalise(mobile)
        if number:
            by_number.setdefault(number, []).append(mobile)
    if not by_number:
        return set()
    dialect = session.get_bind().dialect.name
    found: set[str] = set()
    for number in session.scalars(select(OptOut.mobile).where(
            OptOut.shop_id == shop_id, OptOut.channel == channel, in_texts(OptOut.mobile, by_number, dialect))):
        found.update(by_number[number])
    return found


@dataclass(slots=True)
class ImportResult:
    added: int = 0
    already: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    """``(line number, text, reason)`` of lines that are not a mobile number."""


def import_list(session: Session, shop_id: int, channel: str, lines: Iterable[str]) -> ImportResult:
    """Opt out every mobile of a list (one per line, or the first cell of a CSV line); a line that
    is not a valid mainland mobile (an email address, for an email channel) is reported with its
    number and kept out, the others go in."""
    result = ImportResult()
    kind = kind_of(channel)
    for number, line in enumerate(lines, start=1):
        cell = line.split(",")[0].strip().strip('"').lstrip("\ufeff")
        if not cell:
            continue
        mobile, valid = kind.normalise(cell)
        if not valid:
            if number == 1 and not any(ch.isdigit() for ch in cell) and "@" not in cell:
                continue  # a header row
            result.errors.append((number, cell, "not a mainland mobile number" if kind.name == "sms"
                                  else "not an email address"))
            continue
        if opt_out(session, shop_id, channel, mobile or cell, "import"):
            result.added += 1
        else:
            result.already += 1
    return result


def mobile_digits(text: str | None) -> str:
    """The digits of a mobile search box (the last 11, so ``+86`` goes); ``""`` when it holds none."""
    return re.sub(r"\D", "", text or "")[-11:]


@dataclass(slots=True, frozen=True)
class ListFilter:
    """Which opt-outs a list shows: one channel, one source, mobiles ending in some digits."""

    channel: str | None = None
    source: str | None = None
    digits: str = ""
    """Digits the mobile ends with; all 11 of them find that one number (through the index)."""


@dataclass(slots=True)
class ListPage:
    """A page of opt-outs, newest first, and the cursor of the next page (``None`` on the last)."""

    rows: list[OptOut]
    customers: dict[str, Customer]
    """Mobile -> the shop's customer with that number, for the mobiles on this page."""
    next_after: int | None


def _filtered(statement: Select[Any], shop_id: int, where: ListFilter, by_id: bool = False) -> Select[Any]:
    """``statement`` narrowed to ``where``. ``by_id``: the rows are read newest first, and the
    shop is tested on each row (``+ 0``) so that the database walks the primary key backwards
    and stops at a page, rather than sorting every row of the shop that its index finds."""
    digits = mobile_digits(where.digits)
    shop = OptOut.shop_id + 0 if by_id and len(digits) < 11 else OptOut.shop_id
    statement = statement.where(shop == shop_id)
    if where.channel:
        statement = statement.where(OptOut.channel == where.channel)
    if where.source:
        statement = statement.where(OptOut.source == where.source)
    if len(digits) == 11:
        statement = statement.where(OptOut.mobile == digits)
    elif digits:
        statement = statement.where(OptOut.mobile.endswith(digits, autoescape=True))
    return statement


def count_opt_outs(session: Session, shop_id: int, where: ListFilter = ListFilter()) -> int:
    """How many opt-outs of the shop ``where`` selects."""
    return session.scalar(_filtered(select(func.count(OptOut.id)), shop_id, where)) or 0


def list_opt_outs(session: Session, shop_id: int, where: ListFilter = ListFilter(),
                  after: int | None = None, limit: int = 50) -> ListPage:
    """One page of the shop's opt-outs, newest first, after the row ``after`` (keyset on the
    primary key, which grows with time: a page costs the same at row 100,000 as at row 1)."""
    statement = _filtered(select(OptOut), shop_id, where, by_id=True)
    if after is not None:
        statement = statement.where(OptOut.id < after)
    rows = list(session.scalars(statement.order_by(OptOut.id.desc()).limit(limit + 1)))
    next_after = rows[limit - 1].id if len(rows) > limit else None
    rows = rows[:limit]
    return ListPage(rows, customers_by_mobile(session, shop_id, {row.mobile for row in rows}), next_after)


def iter_opt_outs(session: Session, shop_id: int, where: ListFilter = ListFilter(),
                  batch: int = 1000) -> Iterator[OptOut]:
    """Every opt-out ``where`` selects, newest first, read ``batch`` rows at a time (exports)."""
    after: int | None = None
    while True:
        statement = _filtered(select(OptOut), shop_id, where, by_id=True)
        if after is not None:
            statement = statement.where(OptOut.id < after)
        rows = list(session.scalars(statement.order_by(OptOut.id.desc()).limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id
        session.expunge_all()  # what was yielded is not kept in the session


def customers_by_mobile(session: Session, shop_id: int, mobiles: Iterable[str]) -> dict[str, Customer]:
    """Mobile -> the shop's (first) customer with that number, for ``mobiles`` that have one."""
    numbers = sorted({mobile for mobile in mobiles if mobile})
    found: dict[str, Customer] = {}
    for start in range(0, len(numbers), 1000):
        chunk = numbers[start:start + 1000]
        for customer in session.scalars(select(Customer).where(
                Customer.shop_id == shop_id, Customer.mobile.in_(chunk)).order_by(Customer.id)):
            if customer.mobile:
                found.setdefault(customer.mobile, customer)
    return found


__all__ = ["DEFAULT_KEYWORDS", "ImportResult", "ListFilter", "ListPage", "SOURCES", "count_opt_outs",
           "customers_by_mobile", "import_list", "is_opt_out", "iter_opt_outs", "keywords", "list_opt_outs",
           "mobile_digits", "normalise_reply", "opt_in", "opt_out", "opt_out_matcher", "opted_out", "save_keywords"]
