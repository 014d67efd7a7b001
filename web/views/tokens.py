"""The API tokens page (administrators): the shop's tokens, making one, revoking one.

A new token is shown once, on the page that answers the form that made it, and never again:
only a hash of it is stored (:mod:`shopcrm.api_tokens`). The page is not redirected to, so the
secret is in no URL, cookie or flash message, and pages are never cached
(:mod:`shopcrm.web.security`). Making and revoking are written to the audit log.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from shopcrm import audit
from shopcrm.api_tokens import NewToken, create_token, revoke_token
from shopcrm.models import ApiToken, User
from shopcrm.shops import default_shop
from shopcrm.web.access import require_role
from shopcrm.web.database import db

bp = Blueprint("tokens", __name__, url_prefix="/admin/tokens")
bp.before_request(require_role("admin"))

NAME_MAX = 100


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), filters=[lambda v: v.strip() if v else v], validators=[
        DataRequired(message=_l("Name the token after the system that will use it.")),
        Length(max=NAME_MAX, message=_l("The name can have at most %(max)d characters.",
                                        max=NAME_MAX)),
    ])


def _actor() -> User:
    user: User = current_user._get_current_object()
    return user


def _page(form: TokenForm, new: NewToken | None = None, new_name: str | None = None) -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    rows = session.execute(
        select(ApiToken, User.username)
        .outerjoin(User, User.id == ApiToken.created_by)
        .where(ApiToken.shop_id == shop.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
    ).all()
    session.commit()  # the default shop, when this visit created it
    return render_template("tokens/index.html", form=form, tokens=rows, new=new, new_name=new_name)


@bp.route("")
def index() -> ResponseReturnValue:
    return _page(TokenForm())


@bp.route("", methods=["POST"])
def create() -> ResponseReturnValue:
    """Make a token and show it, this once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form)
    session = db()
    shop = default_shop(session)
    actor = _actor()
    new = create_token(session, shop.id, form.name.data, created_by=actor.id)
    audit.record(session, "token.create", user=actor, target=f"token:{new.id}",
                 details={"name": form.name.data}, ip=request.remote_addr)
    session.commit()
    return _page(TokenForm(formdata=None), new=new, new_name=form.name.data)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int) -> ResponseReturnValue:
    session = db()
    shop = default_shop(session)
    token = session.get(ApiToken, token_id)
    if token is None or token.shop_id != shop.id:
        abort(404)
    name = token.name
    if revoke_token(session, token_id, shop.id):
        audit.record(session, "token.revoke", user=_actor(), target=f"token:{token_id}",
                     details={"name": name}, ip=request.remote_addr)
        session.commit()
        flash(_("The token %(name)s has been revoked: requests with it are refused from now on.",
                name=name), "success")
    return redirect(url_for("tokens.index"))
