"""The administrators' area under ``/admin``: plugins, users, settings and channels.

Every view of this blueprint needs the admin role (one ``before_request`` check for all of
them); the pages themselves live in :mod:`.plugins`, :mod:`.users`, :mod:`.settings` and
:mod:`.channels`.
"""
from __future__ import annotations

from flask import Blueprint

from shopcrm.web.access import require_role
from shopcrm.web.views import channels, plugins, settings, users

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_role("admin"))

plugins.register(bp)
users.register(bp)
settings.register(bp)
channels.register(bp)
