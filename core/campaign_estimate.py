"""What a campaign's message will look like and cost, before it is sent.

:func:`estimate_message` composes the message as the phone shows it (the shop's signature
first, the shop's opt-out text last, each ``${var}`` at its example value; an email channel's
body as written), counts its characters and the parts the channel bills, and prices it for an audience at the channel's
``price_per_part``. The audience is the segment's count: the most the campaign can cost, since
exclusions and the control group are only known once it starts.

Unknown variables and malformed placeholders are reported, not raised, so an editor can show
them next to the text while it is typed.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.channel_kinds import kind_of
from shopcrm.config import Config
from shopcrm.message_templates import TemplateError, check, estimate, placeholders
from shopcrm.models import Shop
from shopcrm.registry import get_registry
from shopcrm.sending_policy import load as load_policy
from shopcrm.template_preview import price_per_part


@dataclass(slots=True, frozen=True)
class MessageEstimate:
    preview: str
    """The composed SMS with each variable at its example value."""
    characters: int
    parts: int
    recipients: int
    price_per_part: Decimal
    cost: Decimal
    unknown: tuple[str, ...] = ()
    """Variables the text names that nobody registered."""
    error: str | None = None
    """Why the text cannot be sent (an unknown variable, an open ``${``, no text); ``None`` when it can."""


def estimate_message(session: Session, config: Config, shop_id: int, channel: str, body: str,
                     recipients: int) -> MessageEstimate:
    """Preview, length, parts and cost of ``body`` sent as marketing to ``recipients`` customers."""
    variables = get_registry().template_variables.items
    error = None
    try:
        check(body, variables)
    except TemplateError as exc:
        error = str(exc)
    unknown = tuple(name for name in placeholders(body) if name not in variables)
    signature = session.scalar(select(Shop.sms_signature).where(Shop.id == shop_id)) or ""
    policy = load_policy(session, shop_id)
    registered = get_registry().channels
    counter = registered[channel].count_segments if channel in registered else None
    composed = estimate(body, variables, signature, marketing=True, opt_out_text=policy.opt_out_text,
                        signed=kind_of(channel).signed, **({"count": counter} if counter else {}))
    price = price_per_part(session, config, channel, shop_id)
    return MessageEstimate(composed.text, composed.characters, composed.parts, recipients, price,
                           composed.cost(recipients, price), unknown, error)


__all__ = ["MessageEstimate", "estimate_message"]
