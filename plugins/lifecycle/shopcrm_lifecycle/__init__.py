"""ShopCRM lifecycle plugin: every customer's life stage as the label ``lifecycle``.

Registers the ``lifecycle`` segmenter (segment rules use it as ``label.lifecycle``), its
pages at ``/plugins/lifecycle/`` (the funnel with the movement between stages, and the
settings), and the care messages along an order's life as triggers (:mod:`shopcrm_lifecycle.triggers`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from flask import Blueprint, url_for
from flask_babel import gettext as _

from shopcrm import hookimpl
from shopcrm.segments import Segmenter
from shopcrm.triggers import Trigger
from shopcrm_lifecycle.stages import LifecycleSegmenter
from shopcrm_lifecycle.triggers import lifecycle_triggers

if TYPE_CHECKING:
    from shopcrm.models import User


@hookimpl
def register_segmenters() -> Iterable[Segmenter]:
    return [LifecycleSegmenter()]


@hookimpl
def register_triggers() -> Iterable[Trigger]:
    return lifecycle_triggers()


@hookimpl
def register_blueprints() -> Iterable[Blueprint]:
    from shopcrm_lifecycle.pages import bp  # the web UI only when a web app asks for it

    return [bp]


@hookimpl
def menu_items(user: "User") -> Iterable[tuple[str, str]]:
    return [(_("Life stages"), url_for("lifecycle.index"))]
