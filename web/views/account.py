"""The signed-in user's own preferences: the language of the UI, kept in ``User.locale``."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import refresh
from flask_login import current_user

from shopcrm.web.database import db
from shopcrm.web.i18n import LOCALES
from shopcrm.web.redirects import safe_next

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/language", methods=["POST"])
def language() -> ResponseReturnValue:
    """Switch the UI language and go back to the page the switch was on."""
    locale = request.form.get("locale", "")
    if locale not in LOCALES:
        abort(400)
    user = current_user._get_current_object()
    if user.locale != locale:
        user.locale = locale
        db().commit()
        refresh()
    return redirect(safe_next(request.form.get("next")) or url_for("dashboard.index"))
