"""ShopCRM membership plugin: tiers (label ``tier``) and a points ledger.

Tiers by amount paid or paid orders in a window, raised as orders are paid and reviewed in
full on demand or on a schedule (lowered only when the shop switches that on); points earned
per yuan paid, taken back on refunds, expiring, adjusted and redeemed by hand. Template
variables ``${tier}`` and ``${points}``; pages under ``/plugins/membership/``; commands
``shopcrm membership review`` and ``shopcrm membership expire-points``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import click
from flask import Blueprint, url_for
from flask_babel import gettext as _

from shopcrm import hookimpl
from shopcrm.event_batch import handle
from shopcrm.models import Customer, User
from shopcrm.segments import Segmenter
from shopcrm.sources import OrderEvent
from shopcrm.variables import TemplateVariable
from shopcrm_membership import jobs  # noqa: F401  (declares the job kinds on import)
from shopcrm_membership import models  # noqa: F401  (the ledger table joins the metadata)
from shopcrm_membership.events import handle_order_events
from shopcrm_membership.tiers import TierSegmenter
from shopcrm_membership.variables import PointsVariable, TierVariable


@hookimpl
def register_segmenters() -> Iterable[Segmenter]:
    return [TierSegmenter()]


@hookimpl
def register_template_variables() -> Iterable[TemplateVariable]:
    return [TierVariable(), PointsVariable()]


@hookimpl
def register_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def on_order_event(event: OrderEvent) -> None:
    handle(handle_order_events, event)  # an ingested batch's events together


@hookimpl
def register_blueprints() -> Iterable[Blueprint]:
    from shopcrm_membership.views import bp

    return [bp]


@hookimpl
def menu_items(user: User) -> Iterable[tuple[Any, str]]:
    items = [(_("Membership"), url_for("membership.index"))]
    if user.can("admin"):
        items.append((_("Membership rules"), url_for("membership.rules")))
    return items


@hookimpl
def customer_panels(customer: Customer) -> Iterable[str]:
    from shopcrm_membership.panel import customer_panel

    return [customer_panel(customer)]


@hookimpl
def register_commands(cli: click.Group) -> None:
    from shopcrm_membership.commands import register

    register(cli)
