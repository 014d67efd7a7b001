"""ShopCRM: a self-hosted, plugin-based CRM for online shops.

Plugins import :data:`hookimpl` from here to mark their hook implementations::

    from shopcrm import hookimpl

    @hookimpl
    def register_channels():
        return [MyChannel()]
"""
from __future__ import annotations

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "shopcrm"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marker for plugin hook implementations."""

__all__ = ["hookimpl", "__version__", "PROJECT_NAME"]
