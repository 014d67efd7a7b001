"""The unsubscribe page every email links to: ``/plugins/email_smtp/unsubscribe/<token>``.

Open without a log-in (the customer has none); the signed token (:mod:`.tokens`) is the
credential, and a token that was not signed by this installation is a 404, as if the address did
not exist. ``GET`` only shows what the link would do and a button; the button ``POST``s the form
with its CSRF token, and only then is the address opted out of the channel (source
``unsubscribe_link``). A mail program's one-click unsubscribe (RFC 8058: a ``POST`` whose body is
``List-Unsubscribe=One-Click``) needs no CSRF token, only the valid signed token, and is answered
with a short plain text. Unsubscribing twice changes nothing.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from shopcrm.models import Shop
from shopcrm.opt_outs import opt_out
from shopcrm.web.access import public
from shopcrm.web.database import current_config, db
from shopcrm_email_smtp.tokens import Unsubscribe, read_token

bp = Blueprint("email_smtp", __name__, template_folder="templates")

SOURCE = "unsubscribe_link"


def masked(address: str) -> str:
    """``z***@example.com``: enough for the reader to recognise the address, not to read it."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"


def _target(token: str) -> Unsubscribe:
    target = read_token(current_config().secret_key(), token)
    if target is None or db().get(Shop, target.shop_id) is None:
        abort(404)
    return target


@bp.get("/unsubscribe/<token>")
@public
def unsubscribe(token: str) -> ResponseReturnValue:
    """Say what the link does and offer the button (nothing changes on a ``GET``)."""
    target = _target(token)
    return render_template("email_smtp/unsubscribe.html", token=token, address=masked(target.address),
                           shop=db().get(Shop, target.shop_id), done=False, error=None)


@bp.post("/unsubscribe/<token>")
@public
def confirm(token: str) -> ResponseReturnValue:
    """Opt the address out: from the page's form (CSRF checked) or a mail program's one-click post."""
    target = _target(token)
    session = db()
    shop = session.get(Shop, target.shop_id)
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    if not one_click:
        try:
            validate_csrf(request.form.get("csrf_token"))
        except (ValidationError, CSRFError):
            return render_template("email_smtp/unsubscribe.html", token=token, address=masked(target.address),
                                   shop=shop, done=False, error=True), 400
    opt_out(session, target.shop_id, target.channel, target.address, SOURCE)
    session.commit()
    if one_click:
        return "unsubscribed\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("email_smtp/unsubscribe.html", token=token, address=masked(target.address),
                           shop=shop, done=True, error=None)
