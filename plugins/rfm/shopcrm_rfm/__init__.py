"""ShopCRM RFM plugin: every customer's recency, frequency and monetary value, as a label.

Registers the ``rfm`` segmenter (segment rules use it as ``label.rfm``) and its page at
``/plugins/rfm/``: the R×F heat map, the class table, the settings and a recompute button.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from flask import Blueprint, url_for
from flask_babel import gettext as _

from shopcrm import hookimpl
from shopcrm.segments import Segmenter
from shopcrm_rfm.segmenter import RfmSegmenter

if TYPE_CHECKING:
    from shopcrm.models import User


@hookimpl
def register_segmenters() -> Iterable[Segmenter]:
    return [RfmSegmenter()]


@hookimpl
def register_blueprints() -> Iterable[Blueprint]:
    from shopcrm_rfm.pages import bp  # the web UI only when a web app asks for it

    return [bp]


@hookimpl
def menu_items(user: "User") -> Iterable[tuple[str, str]]:
    return [(_("RFM analysis"), url_for("rfm.index"))]
