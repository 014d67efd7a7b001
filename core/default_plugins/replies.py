"""Replies customers send: filed as ``inbound`` rows, and a keyword reply opts the number out.

Any channel that reports a ``replied`` :class:`~shopcrm.channels.MessageEvent` with its shop
(``shop_id``) gets this: the reply is kept with the customer it came from (by mobile), once per
gateway id, and when its whole text is one of the shop's opt-out keywords (see
:mod:`shopcrm.opt_outs`) the number is opted out of that channel at once, so a message still
queued for it is skipped. A reply is linked to the message it answers: the one the gateway names,
else the latest the customer was sent on that channel.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm import hookimpl
from shopcrm.channels import MessageEvent
from shopcrm.config import Config, active_config
from shopcrm.db import session_scope, utcnow
from shopcrm.mobiles import normalise_mobile
from shopcrm.models import Customer, Inbound, Message
from shopcrm.opt_outs import is_opt_out, keywords, opt_out


def answered(session: Session, customer_id: int | None, channel: str) -> int | None:
    """The message a reply answers: the latest one the customer was sent on that channel."""
    if customer_id is None:
        return None
    return session.scalar(select(Message.id).where(
        Message.customer_id == customer_id, Message.channel == channel,
        Message.status.in_(("sent", "delivered"))).order_by(Message.created_at.desc(), Message.id.desc()).limit(1))


def file_reply(event: MessageEvent, config: Config) -> bool:
    """Keep the reply and opt its number out when it says stop; ``True`` when it did."""
    if event.kind != "replied" or event.shop_id is None or not event.mobile:
        return False
    number, _ = normalise_mobile(event.mobile)
    if not number:
        return False
    with session_scope(config) as session:
        if event.gateway_id and session.scalar(select(Inbound.id).where(
                Inbound.channel == event.channel, Inbound.gateway_id == event.gateway_id)):
            return False  # the same reply reported again
        customer_id = session.scalar(select(Customer.id).where(
            Customer.shop_id == event.shop_id, Customer.mobile == number).order_by(Customer.id).limit(1))
        session.add(Inbound(shop_id=event.shop_id, channel=event.channel, mobile=number, text=event.text or "",
                            gateway_id=event.gateway_id, customer_id=customer_id,
                            message_id=event.message_id or answered(session, customer_id, event.channel),
                            received_at=event.occurred_at or utcnow()))
        if is_opt_out(event.text or "", keywords(session, event.shop_id)):
            opt_out(session, event.shop_id, event.channel, number, "reply")
            return True
    return False


@hookimpl
def on_message_event(event: MessageEvent) -> None:
    if event.kind == "replied":
        file_reply(event, active_config())
