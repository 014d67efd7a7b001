"""An automation's messages written to the outbox: one row per target, rendered now.

For a batch of :class:`~shopcrm.triggers.TriggerTarget` of one automation, :func:`write`:

1. keeps one target per dedupe key, and drops keys the automation already has a message for;
2. addresses each: the customer's mobile, or the shop's alert phone
   (:mod:`shopcrm.shop_alerts`) for a target ``to_shopkeeper``; through a channel of kind
   ``email``, the customer's email address (alerts to the shopkeeper have none: ``invalid_email``);
3. writes who must not be messaged as ``skipped`` with the first reason that applies, as
   campaigns do: ``invalid_number``, ``opted_out`` (of the automation's channel) and, for
   marketing triggers only, ``blacklisted`` (a bad review, when the shop enables it) and
   ``frequency_cap``. Notifications are exempt from the cap;
4. renders the text for each customer and order now (``${var}`` from the registered variables,
   the target's ``context`` passed as :attr:`RenderContext.extra`), with the shop's signature
   and, for marketing, the opt-out text (an email channel's messages go as written, with the
   automation's subject filled the same way);
5. inserts the rows in one statement per chunk, ``ON CONFLICT (automation_id, dedupe_key) DO
   NOTHING``: a replayed event or a retried job adds nothing.

``send_after`` is each target's event time plus the automation's delay, moved to the end of
the shop's quiet hours when it falls in them and the message waits at night
(:func:`shopcrm.automation_checks.night_until`).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shopcrm.automation_checks import night_until
from shopcrm.automation_store import options_of
from shopcrm.channel_kinds import SMS, customer_address, kind_of
from shopcrm.message_templates import compose, placeholders, render_values
from shopcrm.models import Automation, Customer, Message, Review, Shop
from shopcrm.opt_outs import opted_out
from shopcrm.registry import get_registry
from shopcrm.sending_policy import SendingPolicy
from shopcrm.sending_policy import load as load_policy
from shopcrm.shop_alerts import alert_phone
from shopcrm.sql import in_ids, in_texts
from shopcrm.template_store import SUBJECT_MAX
from shopcrm.triggers import Trigger, TriggerTarget
from shopcrm.variables import RenderContext

CHUNK = 1000
"""Targets written per statement."""
SENT = ("sending", "sent", "delivered")


@dataclass(slots=True)
class Written:
    """What :func:`write` added to the outbox."""

    pending: int = 0
    skipped: int = 0
    due: dict[dt.datetime, int] = field(default_factory=dict)
    """The pending rows it wrote, counted by the moment they are due (``send_after``)."""

    def add(self, other: "Written") -> None:
        self.pending += other.pending
        self.skipped += other.skipped
        for moment, count in other.due.items():
            self.due[moment] = self.due.get(moment, 0) + count


@dataclass(slots=True, frozen=True)
class _Recipient:
    target: TriggerTarget
    key: str
    to: str
    reason: str | None


def write(session: Session, automation: Automation, trigger: Trigger,
          timed: Iterable[tuple[TriggerTarget, dt.datetime]], now: dt.datetime) -> Written:
    """Write the automation's messages for its targets, each due at the moment paired with it
    (its event's time plus the delay; see the module's docstring)."""
    policy = load_policy(session, automation.shop_id)
    shop = session.get(Shop, automation.shop_id)
    timezone = shop.timezone if shop is not None else "Asia/Shanghai"
    options = options_of(trigger, automation)
    moments: dict[dt.datetime, dt.datetime] = {}
    written = Written()
    chunk: list[tuple[TriggerTarget, dt.datetime]] = []
    for target, due in timed:
        send_after = moments.get(due)
        if send_after is None:
            send_after = moments[due] = night_until(policy, timezone, options, trigger.marketing, due) or due
        chunk.append((target, send_after))
        if len(chunk) >= CHUNK:
            written.add(_write_chunk(session, automation, trigger, chunk, policy, now))
            chunk = []
    if chunk:
        written.add(_write_chunk(session, automation, trigger, chunk, policy, now))
    return written


def _write_chunk(session: Session, automation: Automation, trigger: Trigger,
                 timed: Sequence[tuple[TriggerTarget, dt.datetime]], policy: SendingPolicy,
                 now: dt.datetime) -> Written:
    dialect = session.get_bind().dialect.name
    by_key = {trigger.dedupe_key(target): (target, send_after)
              for target, send_after in reversed(timed)}  # the first of a key wins
    known = set(session.scalars(select(Message.dedupe_key).where(
        Message.automation_id == automation.id, in_texts(Message.dedupe_key, by_key, dialect))))
    fresh = [(key, target) for key, (target, _) in by_key.items() if key not in known]
    if not fresh:
        return Written()
    recipients = _address(session, automation, trigger, fresh, policy, now)
    kind = kind_of(automation.channel)
    texts = render_texts(session, automation.shop_id, automation.template_text or trigger.default_template,
                         [r.target for r in recipients if r.reason is None], trigger.marketing, policy,
                         signed=kind.signed, subject=automation.subject if kind.has_subject else None)
    rendered = iter(texts)
    blank = Rendered("")
    rows = []
    for recipient in recipients:
        pending = recipient.reason is None
        message = next(rendered) if pending else blank
        rows.append({
            "shop_id": automation.shop_id, "customer_id": recipient.target.customer_id,
            "automation_id": automation.id, "order_id": recipient.target.order_id, "dedupe_key": recipient.key,
            "channel": automation.channel or "", "to": recipient.to,
            "text": message.text, "subject": message.subject, "is_marketing": bool(trigger.marketing),
            "status": "pending" if pending else "skipped", "skip_reason": recipient.reason,
            "parts": 0, "attempts": 0, "send_after": by_key[recipient.key][1], "created_at": now, "updated_at": now,
        })
    added = session.execute(_insert(dialect), rows).all()
    written = Written(skipped=sum(1 for status, _ in added if status != "pending"))
    for status, send_after in added:
        if status == "pending":
            written.pending += 1
            written.due[send_after] = written.due.get(send_after, 0) + 1
    return written


@lru_cache(maxsize=None)
def _insert(dialect: str) -> Any:
    """The chunk's INSERT, one statement however many rows (SQLAlchemy's "insertmanyvalues"),
    compiled once: ``ON CONFLICT (automation_id, dedupe_key) DO NOTHING``, returning what was
    written."""
    table = Message.__table__
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return (insert.on_conflict_do_nothing(index_elements=["automation_id", "dedupe_key"],
                                          index_where=table.c.automation_id.is_not(None))
            .returning(table.c.status, table.c.send_after))


def _address(session: Session, automation: Automation, trigger: Trigger, fresh: Sequence[tuple[str, TriggerTarget]],
             policy: SendingPolicy, now: dt.datetime) -> list[_Recipient]:
    """Each target with its address (a number, or an email address for an email channel) and its
    reason to be skipped (``None``: send it)."""
    dialect = session.get_bind().dialect.name
    kind = kind_of(automation.channel)
    customer_ids = {target.customer_id for _, target in fresh}
    address, valid = customer_address(kind)
    customers = {cid: (found, bool(reachable)) for cid, found, reachable in session.execute(
        select(Customer.id, address, valid).where(in_ids(Customer.id, customer_ids, dialect)))}
    shopkeeper = None
    if kind.name == SMS and any(t.to_shopkeeper for _, t in fresh):
        shopkeeper = alert_phone(session, automation.shop_id)
    numbers: dict[str, str | None] = {}
    for key, target in fresh:
        if target.to_shopkeeper:
            numbers[key] = shopkeeper
        else:
            mobile, reachable = customers.get(target.customer_id, (None, False))
            numbers[key] = mobile if reachable else None
    stopped = opted_out(session, automation.shop_id, automation.channel or "", {n for n in numbers.values() if n})
    capped: set[int] = set()
    blacklisted: set[int] = set()
    if trigger.marketing:
        capped = _at_cap(session, customer_ids, policy, now)
        if policy.blacklist_bad_reviews:
            blacklisted = set(session.scalars(select(Review.customer_id).where(
                in_ids(Review.customer_id, customer_ids, dialect), Review.is_bad.is_(True))))
    found = []
    for key, target in fresh:
        number = numbers[key]
        reason = (kind.unreachable if not number else "opted_out" if number in stopped
                  else "blacklisted" if target.customer_id in blacklisted
                  else "frequency_cap" if target.customer_id in capped else None)
        if number is None and not target.to_shopkeeper:
            number = customers.get(target.customer_id, (None, False))[0]
        found.append(_Recipient(target, key, number or "", reason))
    return found


def _at_cap(session: Session, customer_ids: Iterable[int], policy: SendingPolicy, now: dt.datetime) -> set[int]:
    """The customers already sent the shop's cap of marketing messages in its window."""
    if policy.frequency_cap <= 0:
        return set()
    dialect = session.get_bind().dialect.name
    since = now - dt.timedelta(days=policy.frequency_days)
    return set(session.scalars(
        select(Message.customer_id).where(in_ids(Message.customer_id, customer_ids, dialect),
                                          Message.is_marketing.is_(True), Message.status.in_(SENT),
                                          Message.created_at >= since)
        .group_by(Message.customer_id).having(func.count() >= policy.frequency_cap)))


@dataclass(slots=True, frozen=True)
class Rendered:
    """One target's message as written to the outbox."""

    text: str
    subject: str | None = None


def render_texts(session: Session, shop_id: int, body: str, targets: Sequence[TriggerTarget], marketing: bool,
                 policy: SendingPolicy, signed: bool = True, subject: str | None = None) -> list[Rendered]:
    """The message for each target, in order: ``body`` (and ``subject``, for an email channel)
    filled for its customer and order (the target's ``context`` as :attr:`RenderContext.extra`),
    the text composed with the shop's signature (and the opt-out text for marketing) when
    ``signed``. Targets about no order are filled a batch at a time per context
    (:meth:`TemplateVariable.values`: a daily trigger's thousands of birthdays cost a query per
    variable); targets about an order one by one."""
    variables = get_registry().template_variables.items
    names = [name for name in dict.fromkeys(placeholders(body) + placeholders(subject or "")) if name in variables]
    ctx = RenderContext(session=session, shop_id=shop_id)
    groups: dict[str, list[int]] = {}
    for target in targets:
        if target.order_id is None:
            groups.setdefault(_context_key(target.context), []).append(target.customer_id)
    batches: dict[str, dict[str, Any]] = {}
    for key, customer_ids in groups.items():
        extra = json.loads(key) or None
        batches[key] = {name: variables[name].values(replace(ctx, extra=extra), customer_ids) for name in names}
    shop = session.get(Shop, shop_id)  # the writer's, from the session: no second query
    signature = (shop.sms_signature if shop is not None else None) or ""
    rendered = []
    for target in targets:
        if target.order_id is None:
            batch = batches[_context_key(target.context)]
            values = {name: batch[name].get(target.customer_id, "") for name in names}
        else:
            one = replace(ctx, customer_id=target.customer_id, order_id=target.order_id, extra=target.context or None)
            values = {name: variables[name].value(one) for name in names}
        text = compose(render_values(body, values), signature, marketing, policy.opt_out_text, signed)
        title = render_values(subject, values).strip()[:SUBJECT_MAX] if subject else ""
        rendered.append(Rendered(text, title or None))
    return rendered


def _context_key(context: dict[str, Any]) -> str:
    return json.dumps(context, sort_keys=True, default=str)


__all__ = ["CHUNK", "Rendered", "Written", "render_texts", "write"]
