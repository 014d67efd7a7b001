"""Filling a batch of outbox messages with their text, as each customer will read it.

A campaign writes its recipients without text (a million rows in one statement); the text is
filled when a batch is claimed for sending: the campaign's template, each ``${var}`` filled for
the customer by its registered variable (one query per variable for the whole batch, see
:meth:`~shopcrm.variables.TemplateVariable.values`), composed with the shop's signature and, for
marketing, the opt-out text. A template bound to a gateway template (Aliyun's TemplateCode) also
gets its parameters. A campaign through a channel of kind ``email`` gets its body as written (no
signature, no opt-out text: the channel adds an unsubscribe link) and its subject filled the same
way (:mod:`shopcrm.channel_kinds`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.channel_kinds import kind_of
from shopcrm.message_templates import compose, placeholders, render_values
from shopcrm.models import Campaign, Customer, Shop, Template
from shopcrm.registry import get_registry
from shopcrm.sending_policy import SendingPolicy
from shopcrm.sql import in_ids
from shopcrm.variables import RenderContext, TemplateVariable


@dataclass(slots=True, frozen=True)
class Filled:
    text: str
    template_code: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    subject: str | None = None


@dataclass(slots=True, frozen=True)
class Source:
    """What a message's text comes from: a template body and, maybe, a gateway template."""

    body: str
    marketing: bool
    template_code: str | None = None
    gateway_params: Mapping[str, str] = field(default_factory=dict)
    """Gateway parameter name -> its value as a template (``${nickname}``)."""
    subject: str | None = None
    """The subject as a template, for channels whose messages have one."""
    signed: bool = True
    """Whether the text gets the shop's signature and opt-out text (SMS channels)."""


def campaign_source(session: Session, campaign_id: int) -> Source:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise LookupError(f"campaign {campaign_id} does not exist")
    kind = kind_of(campaign.channel)
    if not kind.signed:
        return Source(campaign.text, True, subject=campaign.subject, signed=False)
    template = session.get(Template, campaign.template_id) if campaign.template_id else None
    if template is not None and template.gateway_template_code:
        return Source(campaign.text, True, template.gateway_template_code, dict(template.gateway_params or {}))
    return Source(campaign.text, True)


def fill(session: Session, shop_id: int, source: Source, customer_ids: Iterable[int],
         policy: SendingPolicy) -> dict[int, Filled]:
    """The text (and gateway parameters) of ``source`` for each customer of the shop."""
    ids = list(dict.fromkeys(customer_ids))
    variables = get_registry().template_variables.items
    used = (placeholders(source.body) + placeholders(source.subject or "")
            + [n for value in source.gateway_params.values() for n in placeholders(value)])
    names = [n for n in dict.fromkeys(used) if n in variables]
    ctx = RenderContext(session=session, shop_id=shop_id)
    # Variables that fill a batch one customer at a time get the customers loaded in the session
    # once (held here: the identity map keeps only objects someone refers to).
    one_by_one = any(type(variables[name]).values is TemplateVariable.values for name in names)
    loaded = (list(session.scalars(select(Customer).where(in_ids(Customer.id, ids, session.get_bind().dialect.name))))
              if one_by_one and ids else [])
    values = {name: variables[name].values(ctx, ids) for name in names}
    del loaded
    signature = session.scalar(select(Shop.sms_signature).where(Shop.id == shop_id)) or ""
    filled = {}
    for customer_id in ids:
        mine = {name: values[name].get(customer_id, "") for name in names}
        text = compose(render_values(source.body, mine), signature, source.marketing, policy.opt_out_text,
                       source.signed)
        params = {param: render_values(value, mine) for param, value in source.gateway_params.items()}
        subject = render_values(source.subject, mine).strip() if source.subject else None
        filled[customer_id] = Filled(text, source.template_code, params, subject)
    return filled


__all__ = ["Filled", "Source", "campaign_source", "fill"]
