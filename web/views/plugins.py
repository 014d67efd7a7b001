"""The plugins page: every loaded plugin, where it came from, its hooks and what it added."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from shopcrm.plugin_report import plugins_report

SOURCE_LABELS = {
    "default": _l("Built in"),
    "entrypoint": _l("Installed package"),
    "directory": _l("Plugin folder"),
}
"""Where a plugin was loaded from (see :mod:`shopcrm.plugins`)."""

REGISTERED_LABELS = {
    "data_sources": _l("Data sources"),
    "segmenters": _l("Segmenters"),
    "triggers": _l("Triggers"),
    "channels": _l("Channels"),
    "template_variables": _l("Template variables"),
    "migrations": _l("Database migrations"),
}
"""The kinds of things a plugin registers (see :mod:`shopcrm.registry`)."""


def plugins_page() -> ResponseReturnValue:
    return render_template("admin/plugins.html", plugins=plugins_report(),
                           source_labels=SOURCE_LABELS, registered_labels=REGISTERED_LABELS)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/plugins", "plugins", plugins_page)
