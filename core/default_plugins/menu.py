"""Default plugin: the core's pages in the navigation, shown by role."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from flask import url_for
from flask_babel import gettext as _

from shopcrm import hookimpl

if TYPE_CHECKING:
    from shopcrm.models import User


@hookimpl
def menu_items(user: "User") -> Iterable[tuple[str, str]]:
    items = [
        (_("Dashboard"), url_for("dashboard.index")),
        (_("Customers"), url_for("customers.index")),
        (_("Segments"), url_for("segments.index")),
        (_("Campaigns"), url_for("campaigns.index")),
        (_("Templates"), url_for("message_templates.index")),
        (_("Automations"), url_for("automations.index")),
        (_("Orders"), url_for("orders.index")),
        (_("Replies"), url_for("replies.index")),
        (_("Opt-outs"), url_for("opt_outs.index")),
    ]
    items.append((_("Import"), url_for("imports.index")) if user.can("operator")
                 else (_("Import history"), url_for("imports.history")))
    if user.can("admin"):
        items += [
            (_("Plugins"), url_for("admin.plugins")),
            (_("Users"), url_for("admin.users")),
            (_("Settings"), url_for("admin.settings")),
            (_("Channels"), url_for("admin.channels")),
            (_("API tokens"), url_for("tokens.index")),
        ]
    return items
