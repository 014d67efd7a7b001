"""The users page: accounts, their roles and languages, and what administrators change.

Each action is its own small POST form (create, change role, deactivate or reactivate, reset
password) that comes back to the list with a message; every change is audited by
:mod:`shopcrm.web.user_admin`.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from shopcrm.accounts import MIN_PASSWORD_LENGTH, USERNAME_RE, AccountError
from shopcrm.db import utcnow
from shopcrm.models import ROLES, User
from shopcrm.web import user_admin
from shopcrm.web.access import ROLE_LABELS
from shopcrm.web.database import db
from shopcrm.web.i18n import DEFAULT_LOCALE, LOCALES


def _password_field(label: object) -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired(message=_l("Enter a password.")),
        Length(min=MIN_PASSWORD_LENGTH,
               message=_l("The password needs at least %(count)d characters.",
                          count=MIN_PASSWORD_LENGTH)),
    ])


class CreateUserForm(FlaskForm):
    username = StringField(_l("User name"), filters=[lambda v: v.strip() if v else v], validators=[
        DataRequired(message=_l("Enter a user name.")),
        Regexp(USERNAME_RE, message=_l("Use 2 to 60 letters, digits or the characters _ . @ -")),
    ])
    password = _password_field(_l("Password"))
    role = SelectField(_l("Role"), default="viewer",
                       choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES])
    locale = SelectField(_l("Language"), default=DEFAULT_LOCALE,
                         choices=[SelectChoice(code, name) for code, name in LOCALES.items()])

    def validate_username(self, field: StringField) -> None:
        if field.data and user_admin.username_taken(db(), field.data):
            raise ValidationError(_("A user named %(name)s already exists.", name=field.data))


class PasswordForm(FlaskForm):
    password = _password_field(_l("New password"))


def _user_or_404(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _actor() -> User:
    user: User = current_user._get_current_object()
    return user


def _back() -> ResponseReturnValue:
    return redirect(url_for("admin.users"))


def users_page(form: CreateUserForm | None = None) -> ResponseReturnValue:
    users = db().scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=users, form=form or CreateUserForm(),
                           roles=ROLES, min_password=MIN_PASSWORD_LENGTH, now=utcnow())


def create() -> ResponseReturnValue:
    form = CreateUserForm()
    if not form.validate_on_submit():
        return users_page(form)
    try:
        user = user_admin.add_user(db(), _actor(), form.username.data, form.password.data,
                                   form.role.data, form.locale.data, request.remote_addr)
    except AccountError:  # a name taken between the check and the insert
        db().rollback()
        flash(_("The user could not be created: the name may have just been taken. Try again."),
              "error")
        return users_page(form)
    db().commit()
    flash(_("User %(name)s created.", name=user.username), "success")
    return _back()


def change_role(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    role = request.form.get("role", "")
    if role not in ROLES:
        abort(400)
    try:
        changed = user_admin.change_role(db(), _actor(), user, role, request.remote_addr)
    except user_admin.LastAdminError:
        db().rollback()
        flash(_("%(name)s is the last active administrator: make someone else an administrator "
                "first.", name=user.username), "error")
        return _back()
    db().commit()
    if changed:
        flash(_("%(name)s is now: %(role)s.", name=user.username, role=ROLE_LABELS[role]),
              "success")
    return _back()


def set_active(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    value = request.form.get("active")
    if value not in ("0", "1"):
        abort(400)
    active = value == "1"
    try:
        changed = user_admin.set_active(db(), _actor(), user, active, request.remote_addr)
    except user_admin.LastAdminError:
        db().rollback()
        flash(_("%(name)s is the last active administrator and cannot be deactivated.",
                name=user.username), "error")
        return _back()
    db().commit()
    if changed:
        message = (_("%(name)s can log in again.", name=user.username) if active
                   else _("%(name)s has been deactivated and can no longer log in.",
                          name=user.username))
        flash(message, "success")
    return _back()


def reset_password(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        for error in form.password.errors:
            flash(_("Password of %(name)s not changed: %(reason)s", name=user.username,
                    reason=error), "error")
        return _back()
    user_admin.reset_password(db(), _actor(), user, form.password.data, request.remote_addr)
    db().commit()
    flash(_("New password set for %(name)s.", name=user.username), "success")
    return _back()


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/users", "users", users_page)
    bp.add_url_rule("/users", "user_create", create, methods=["POST"])
    bp.add_url_rule("/users/<int:user_id>/role", "user_role", change_role, methods=["POST"])
    bp.add_url_rule("/users/<int:user_id>/active", "user_active", set_active, methods=["POST"])
    bp.add_url_rule("/users/<int:user_id>/password", "user_password", reset_password,
                    methods=["POST"])
