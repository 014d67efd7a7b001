"""What every page's frame shows: the navigation, the shop's name, the user and their role.

The navigation is what the plugins' ``menu_items(user)`` hooks return, the core's own pages
included (``shopcrm.default_plugins.menu``); a plugin whose hook fails is logged and left out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import select

from shopcrm.models import Shop
from shopcrm.plugins import call_each
from shopcrm.shops import DEFAULT_SHOP_NAME
from shopcrm.web.access import role_label
from shopcrm.web.database import db
from shopcrm.web.redirects import current_path


@dataclass(slots=True, frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def init_app(app: Flask) -> None:
    app.context_processor(frame_context)


def menu_entries() -> list[tuple[str, str]]:
    """``(label, url)`` from every plugin's ``menu_items`` for the signed-in user, in order."""
    user = current_user._get_current_object()
    entries: list[tuple[str, str]] = []
    for _plugin, items in call_each("menu_items", user=user):
        for label, url in items or ():
            entries.append((str(label), str(url)))
    return entries


def nav_items() -> list[NavItem]:
    """The menu, with the entry for the page being shown marked current.

    The current entry is the one whose URL is the longest prefix of this page's path, so a
    sub-page of "Users" still highlights "Users" and "/" only matches the dashboard itself.
    """
    entries = menu_entries()
    path = request.path
    best = ""
    for _label, url in entries:
        if (path == url or (url != "/" and path.startswith(url.rstrip("/") + "/"))) and len(url) > len(best):
            best = url
    return [NavItem(label, url, url == best) for label, url in entries]


def shop_name() -> str:
    """The first shop's name, as the frame shows it (without creating a shop)."""
    name = db().scalar(select(Shop.name).order_by(Shop.id).limit(1))
    return name or DEFAULT_SHOP_NAME


def frame_context() -> dict[str, Any]:
    """Template helpers for the layout, called only by the templates that draw the frame (so
    a fragment costs no query). ``show_frame`` is false for visitors who have not logged in
    and on a 500 page (``g.plain_layout``), where the database or a plugin may be what failed.
    """
    show = bool(current_user.is_authenticated and not g.get("plain_layout"))
    return {"show_frame": show, "nav_items": nav_items, "frame_shop_name": shop_name,
            "role_label": role_label, "current_path": current_path}
