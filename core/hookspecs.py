"""The hook specifications of ShopCRM: the whole plugin API.

Every hook here is documented with its exact signature in ``docs/plugins.md``;
``tests/test_docs.py`` fails when one is missing there or its signature differs.

Registry hooks return a list (or yield) of objects whose ``name`` must be unique
across all plugins. Event hooks return nothing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import pluggy

from shopcrm import PROJECT_NAME

if TYPE_CHECKING:  # pragma: no cover - imports for type hints only
    import click
    from flask import Flask

    from shopcrm.channels import Channel, MessageEvent
    from shopcrm.models import Customer, User
    from shopcrm.segments import Segmenter
    from shopcrm.sources import DataSource, OrderEvent
    from shopcrm.triggers import Trigger
    from shopcrm.variables import TemplateVariable

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


# --- registries -----------------------------------------------------------------------------


@hookspec
def register_data_sources() -> Iterable["DataSource"]:
    """Data sources (order/customer importers) this plugin provides."""


@hookspec
def register_segmenters() -> Iterable["Segmenter"]:
    """Segmenters that label every customer (RFM class, life stage, tier ...)."""


@hookspec
def register_triggers() -> Iterable["Trigger"]:
    """Triggers for automations: care messages on order events and schedules."""


@hookspec
def register_channels() -> Iterable["Channel"]:
    """Message channels that campaigns and automations send through."""


@hookspec
def register_template_variables() -> Iterable["TemplateVariable"]:
    """``${name}`` placeholders available in message templates."""


@hookspec
def register_migrations() -> str | None:
    """Path to this plugin's Alembic versions folder; its branch label is the plugin's name."""


@hookspec
def register_blueprints() -> Iterable[Any]:
    """Flask blueprints, mounted under ``/plugins/<plugin name>/``."""


@hookspec
def register_commands(cli: "click.Group") -> None:
    """Add click commands to the ``shopcrm`` command group."""


@hookspec
def menu_items(user: "User") -> Iterable[tuple[str, str]]:
    """``(label, url)`` pairs for the navigation, for this signed-in user."""


@hookspec
def customer_panels(customer: "Customer") -> Iterable[str]:
    """HTML fragments shown as extra panels on a customer's page."""


# --- events ---------------------------------------------------------------------------------


@hookspec
def on_order_event(event: "OrderEvent") -> None:
    """An order was created or changed status."""


@hookspec
def on_message_event(event: "MessageEvent") -> None:
    """A message was delivered, failed, or a customer replied."""


@hookspec
def startup(app: "Flask") -> None:
    """The web application has been created; plugins may configure it."""
