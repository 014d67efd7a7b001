"""Opt-outs: who said stop, on which channel, and the keywords that say it.

A reply whose whole text is one of the shop's keywords (default TD, T, R, 退订, 拒收; editable per
shop) opts that number out of the channel it came on. Replies are read the way phones send them:
full-width letters (ＴＤ), any case, spaces and trailing punctuation (退订。) do not matter; a
sentence that merely contains a keyword ("不要退订") is not an opt-out.

Opting out is idempotent (one row per shop, channel and number, with where it came from:
``reply``, ``form``, ``import`` or ``operator``); opting back in deletes the row. Every send asks
:func:`opted_out` first, for a whole batch of numbers in one query.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shopcrm.mobiles import normalise_mobile
from shopcrm.models import OptOut, Setting
from shopcrm.sql import in_texts

DEFAULT_KEYWORDS: tuple[str, ...] = ("TD", "T", "R", "退订", "拒收")
SOURCES = ("reply", "form", "import", "operator")
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


def is_opt_out(text: str, words: Sequence[str]) -> bool:
    """Whether a reply's whole text is one of ``words``."""
    reply = normalise_reply(text)
    return bool(reply) and reply in {normalise_reply(word) for word in words}


def opt_out(session: Session, shop_id: int, channel: str, mobile: str, source: str) -> bool:
    """Opt ``mobile`` out of ``channel``; ``False`` when it already was (nothing changes)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    number, _ = normalise_mobile(mobile)
    if not number:
        raise ValueError("no mobile number given")
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OptOut)
    added = session.execute(insert.values(shop_id=shop_id, channel=channel, mobile=number, source=source)
                            .on_conflict_do_nothing(index_elements=["shop_id", "channel", "mobile"])
                            .returning(OptOut.id)).first()
    return added is not None


def opt_in(session: Session, shop_id: int, channel: str, mobile: str) -> bool:
    """Let ``mobile`` be messaged on ``channel`` again; ``False`` when it was not opted out."""
    number, _ = normalise_mobile(mobile)
    result = session.execute(delete(OptOut).where(OptOut.shop_id == shop_id, OptOut.channel == channel,
                                                  OptOut.mobile == number))
    return bool(result.rowcount)


def opted_out(session: Session, shop_id: int, channel: str, mobiles: Iterable[str]) -> set[str]:
    """Which of ``mobiles`` (as given) are opted out of ``channel``: one query."""
    by_number: dict[str, list[str]] = {}
    for mobile in mobiles:
        number, _ = normalise_mobile(mobile)
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
    is not a valid mainland mobile is reported with its number and kept out, the others go in."""
    result = ImportResult()
    for number, line in enumerate(lines, start=1):
        cell = line.split(",")[0].strip().strip('"').lstrip("\ufeff")
        if not cell:
            continue
        mobile, valid = normalise_mobile(cell)
        if not valid:
            if number == 1 and not any(ch.isdigit() for ch in cell):
                continue  # a header row
            result.errors.append((number, cell, "not a mainland mobile number"))
            continue
        if opt_out(session, shop_id, channel, mobile or cell, "import"):
            result.added += 1
        else:
            result.already += 1
    return result


__all__ = ["DEFAULT_KEYWORDS", "ImportResult", "SOURCES", "import_list", "is_opt_out", "keywords",
           "normalise_reply", "opt_in", "opt_out", "opted_out", "save_keywords"]
