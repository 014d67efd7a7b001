"""What a channel's ``kind`` means to the core: which customer field it addresses, how an address
is checked, and what a message carries besides its body.

Two kinds are known:

* ``sms`` (the default, and what an unknown kind is treated as): the customer's mobile,
  normalised mainland numbers (:mod:`shopcrm.mobiles`); a message is composed with the shop's
  signature 【…】 and, for marketing, the opt-out text; customers without a valid mobile are left
  out as ``invalid_number``, a second customer with the same mobile as ``duplicate_number``;
* ``email``: the customer's email address (:mod:`shopcrm.emails`); the body goes as written (the
  channel adds its own unsubscribe link), a message has a subject; customers without a valid
  address are left out as ``invalid_email``, a second one with the same address as
  ``duplicate_email``.

Opt-outs are kept per (shop, channel, address) in the one ``opt_out`` table whatever the kind:
its ``mobile`` column holds the address (a normalised mobile or email address).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from shopcrm.emails import normalise_email, sql_address, sql_valid
from shopcrm.mobiles import normalise_mobile
from shopcrm.models import Customer
from shopcrm.registry import get_registry

SMS = "sms"
EMAIL = "email"


@dataclass(slots=True, frozen=True)
class Kind:
    """How the core addresses and composes messages of one channel kind."""

    name: str
    unreachable: str
    """The skip reason of a customer without a valid address."""
    duplicate: str
    """The skip reason of a second customer with the same address (one message per address)."""
    normalise: Callable[[str | None], tuple[str | None, bool]]
    """``(address, valid)`` of what a record or a form holds."""
    signed: bool
    """Whether messages carry the shop's signature and the opt-out text (SMS) or go as written."""
    has_subject: bool


KINDS: dict[str, Kind] = {
    SMS: Kind(SMS, "invalid_number", "duplicate_number", normalise_mobile, signed=True, has_subject=False),
    EMAIL: Kind(EMAIL, "invalid_email", "duplicate_email", normalise_email, signed=False, has_subject=True),
}


def kind_named(name: str | None) -> Kind:
    """The :class:`Kind` called ``name`` (SMS for ``None`` or a kind the core does not know)."""
    return KINDS.get(name or SMS, KINDS[SMS])


def kind_of(channel_name: str | None) -> Kind:
    """The kind of the registered channel ``channel_name`` (SMS when none is registered by that
    name: an opt-out list may name a channel whose plugin was removed)."""
    channels = get_registry().channels
    channel = channels[channel_name] if channel_name and channel_name in channels else None
    return kind_named(getattr(channel, "kind", SMS))


def customer_address(kind: Kind) -> tuple[Any, Any]:
    """SQL expressions of a customer's address for ``kind`` and whether it is valid."""
    if kind.name == EMAIL:
        return sql_address(Customer.email), sql_valid(Customer.email)
    return Customer.mobile, Customer.sms_reachable.is_(True)


__all__ = ["EMAIL", "KINDS", "Kind", "SMS", "customer_address", "kind_named", "kind_of"]
