"""Log-in and log-out (Flask-Login over :func:`shopcrm.accounts.authenticate`).

A wrong user name and a wrong password get the same message; after
:data:`~shopcrm.accounts.MAX_FAILED_LOGINS` failures in a row the account is locked and the page
says until when. Every log-in, failed log-in and log-out is written to the audit log.

A session carries a stamp derived from the user's password hash: resetting a password ends
every other session of that user, and a deactivated user is signed out on their next request.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import (Blueprint, Flask, Response, current_app, flash, redirect, render_template,
                   request, session, url_for)
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l, refresh
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from shopcrm import audit
from shopcrm.accounts import LoginResult, authenticate
from shopcrm.models import User
from shopcrm.web.access import public
from shopcrm.web.database import db
from shopcrm.web.i18n import LOCALES, SESSION_LOCALE_KEY
from shopcrm.web.redirects import current_path, safe_next

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

STAMP_KEY = "auth_stamp"


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[
        DataRequired(message=_l("Enter your user name.")),
        Length(max=60, message=_l("The user name can have at most 60 characters."))])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=_l("Enter your password."))])


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"


def auth_stamp(user: User) -> str:
    """A keyed digest of the password hash: changes whenever the password does."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, unless deactivated since or their password was reset."""
    try:
        user = db().get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(str(session.get(STAMP_KEY, "")), auth_stamp(user)):
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized() -> ResponseReturnValue:
    """Send the visitor to the log-in page, coming back here afterwards.

    An htmx request gets 401 with ``HX-Redirect`` so the whole page goes to the log-in form
    instead of the form being swapped into a fragment.
    """
    login_url = url_for("auth.login", next=current_path() if request.method == "GET" else None)
    if request.headers.get("HX-Request") == "true":
        response = Response(status=401)
        response.headers["HX-Redirect"] = login_url
        return response
    if request.method == "GET" and request.endpoint != "dashboard.index":
        flash(_("Please log in to open this page."), "info")
    return redirect(login_url)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    target = safe_next(request.args.get("next")) or url_for("dashboard.index")
    if current_user.is_authenticated:
        return redirect(target)
    chosen = request.args.get("lang")
    if chosen in LOCALES:
        session[SESSION_LOCALE_KEY] = chosen
        refresh()
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        username = (form.username.data or "").strip()
        result = authenticate(db(), username, form.password.data or "")
        if result.ok and result.user is not None:
            _record_success(result.user)
            return redirect(target)
        error = _failure_message(result)
        audit.record(db(), "login.failure", username=username[:60],
                     target=f"user:{username[:55]}", details={"reason": result.reason},
                     ip=request.remote_addr)
        db().commit()
    return render_template("auth/login.html", form=form, error=error, locales=LOCALES)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    user = current_user._get_current_object()
    audit.record(db(), "logout", user=user, target=f"user:{user.username}", ip=request.remote_addr)
    db().commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "success")
    return redirect(url_for("auth.login"))


def _record_success(user: User) -> None:
    audit.record(db(), "login.success", user=user, target=f"user:{user.username}",
                 ip=request.remote_addr)
    db().commit()
    session.clear()  # nothing from before the log-in carries over
    session[STAMP_KEY] = auth_stamp(user)
    login_user(user)
    refresh()


def _failure_message(result: LoginResult) -> str:
    if result.reason == "locked" and result.locked_until is not None:
        return _("Too many failed log-ins: this account is locked until %(time)s.",
                 time=format_datetime(result.locked_until, "short"))
    if result.reason == "inactive":
        return _("This account has been deactivated. Ask an administrator to reactivate it.")
    return _("Wrong user name or password.")
