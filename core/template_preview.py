"""What a template sends: the SMS as composed, its length, billed parts and estimated cost.

:func:`preview` is what the template editor shows while the text is typed: the message with
each variable's example value (its longest likely value, so the estimate errs on the high side)
and, for a chosen customer, the message that customer would get. The shop's signature 【…】 comes
first and marketing messages end with the opt-out text (:func:`shopcrm.message_templates.compose`);
through a channel of kind ``email`` the body goes as written, and its subject is filled the same
way.
Parts are counted as the chosen channel bills; the cost uses that channel's ``price_per_part``
for the shop (:mod:`shopcrm.channel_settings`).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from sqlalchemy.orm import Session

from shopcrm import channel_settings, customer_search, secret_box
from shopcrm.channel_kinds import kind_of
from shopcrm.channels import Channel
from shopcrm.config import Config
from shopcrm.message_templates import compose, estimate, render, sms_parts
from shopcrm.models import Customer, Shop
from shopcrm.registry import get_registry
from shopcrm.template_store import subject_error, text_error
from shopcrm.variables import RenderContext, TemplateVariable


@dataclass(slots=True, frozen=True)
class Message:
    """One composed SMS and what it bills."""

    text: str
    characters: int
    parts: int


@dataclass(slots=True, frozen=True)
class Preview:
    """The editor's preview; ``error`` (the text's problem) leaves the rest empty."""

    error: str | None = None
    example: Message | None = None
    recipients: int = 0
    price_per_part: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    customer: Customer | None = None
    for_customer: Message | None = None
    subject_error: str | None = None
    """The subject's problem (an email's subject is checked like the text)."""
    example_subject: str | None = None
    customer_subject: str | None = None


def _channel(name: str | None) -> Channel | None:
    channels = get_registry().channels
    return channels[name] if name and name in channels else None


def _count(channel: Channel | None, text: str) -> int:
    return channel.count_segments(text) if channel is not None else sms_parts(text)


def price_per_part(session: Session, config: Config, channel_name: str | None, shop_id: int) -> Decimal:
    """The chosen channel's price per billed part for the shop (the core default without a channel).

    Read without the channel's secrets when those cannot be decrypted: the price is not secret.
    """
    default = Decimal(str(channel_settings.PRICE_PER_PART.default))
    if channel_name is None or _channel(channel_name) is None:
        return default
    try:
        price = channel_settings.load(session, config, channel_name, shop_id)["price_per_part"]
    except secret_box.SecretError:
        price = Decimal(channel_settings.display(session, channel_name, shop_id)["price_per_part"])
    return price if isinstance(price, Decimal) else default


def preview(session: Session, config: Config, shop_id: int, text: str, marketing: bool,
            channel_name: str | None = None, recipients: int = 1, customer_id: int | None = None,
            variables: Mapping[str, TemplateVariable] | None = None, subject: str | None = None) -> Preview:
    """The template ``text`` as sent by ``channel_name`` for the shop ``shop_id``; with
    ``customer_id`` (one of the shop's customers) also as that customer would get it. ``subject``
    is previewed alike when the channel's messages have one."""
    known = dict(get_registry().template_variables.items) if variables is None else variables
    problem = text_error(text, known)
    if problem:
        return Preview(error=problem)
    shop = session.get(Shop, shop_id)
    signature = shop.sms_signature if shop is not None else None
    channel = _channel(channel_name)
    signed = kind_of(channel_name).signed
    guess = estimate(text, known, signature, marketing, signed=signed)
    example = Message(guess.text, guess.characters, _count(channel, guess.text))
    price = price_per_part(session, config, channel_name, shop_id)
    recipients = max(0, recipients)
    cost = (price * example.parts * recipients).quantize(Decimal("0.01"))
    customer = session.get(Customer, customer_id) if customer_id else None
    for_customer = None
    if customer is not None and customer.shop_id == shop_id:
        body = render(text, RenderContext(session=session, shop_id=shop_id, customer_id=customer.id), known)
        composed = compose(body, signature, marketing, signed=signed)
        for_customer = Message(composed, len(composed), _count(channel, composed))
    else:
        customer = None
    subject = (subject or "").strip() if kind_of(channel_name).has_subject else ""
    subject_problem = subject_error(subject, known)
    example_subject = customer_subject = None
    if subject and subject_problem is None:
        example_subject = estimate(subject, known, None, False, signed=False).text
        if customer is not None:
            customer_subject = render(subject, RenderContext(session=session, shop_id=shop_id, customer_id=customer.id),
                                      known)
    return Preview(example=example, recipients=recipients, price_per_part=price, cost=cost,
                   customer=customer, for_customer=for_customer, subject_error=subject_problem,
                   example_subject=example_subject, customer_subject=customer_subject)


def find_customers(session: Session, shop_id: int, query: str, limit: int = 8) -> list[Customer]:
    """Customers to preview a template for: the one whose id is ``query`` (digits, or ``#`` and
    digits), then the customer search's matches (nick or name prefix, last digits of the mobile)."""
    q = query.strip()
    if not q:
        return []
    found: list[Customer] = []
    digits = q.removeprefix("#")
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        by_id = session.get(Customer, int(digits))
        if by_id is not None and by_id.shop_id == shop_id:
            found.append(by_id)
    if not q.startswith("#"):
        found += [c for c in customer_search.search(session, shop_id, q, limit=limit).rows if c not in found]
    return found[:limit]


__all__ = ["Message", "Preview", "find_customers", "preview", "price_per_part"]
