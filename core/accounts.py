"""User accounts: creation, hashed passwords and throttled log-in."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shopcrm.db import utcnow
from shopcrm.models import ROLES, User

MIN_PASSWORD_LENGTH = 8
MAX_FAILED_LOGINS = 5
"""After this many failed log-ins in a row an account is locked for :data:`LOCK_TIME`."""
LOCK_TIME = dt.timedelta(minutes=15)
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,60}$")

# Checked when the username is unknown, so a failed log-in costs the same either way.
_DUMMY_HASH = generate_password_hash("shopcrm-no-such-user")


class AccountError(ValueError):
    """A user-caused problem with an account (bad name, weak password, unknown role)."""


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def create_user(session: Session, username: str, password: str, role: str = "viewer",
                locale: str = "zh_CN") -> User:
    if not USERNAME_RE.match(username):
        raise AccountError(
            f"invalid user name {username!r}: use 2 to 60 letters, digits or _ . @ -"
        )
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    check_password_strength(password)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise AccountError(f"a user named {username!r} already exists")
    user = User(username=username, password_hash=generate_password_hash(password), role=role,
                locale=locale)
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None


class LoginResult:
    """The outcome of :func:`authenticate`: the user, or why not."""

    def __init__(self, user: User | None, reason: str | None = None,
                 locked_until: dt.datetime | None = None) -> None:
        self.user = user
        self.reason = reason
        self.locked_until = locked_until

    @property
    def ok(self) -> bool:
        return self.user is not None


def authenticate(session: Session, username: str, password: str) -> LoginResult:
    """Check a log-in; counts failures and locks the account after too many in a row.

    ``reason`` is ``invalid`` (wrong name or password: the two are not told apart),
    ``locked`` or ``inactive``.
    """
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    now = utcnow()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return LoginResult(None, "invalid")
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(None, "locked", user.locked_until)
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCK_TIME
            user.failed_logins = 0
            return LoginResult(None, "locked", user.locked_until)
        return LoginResult(None, "invalid")
    if not user.active:
        return LoginResult(None, "inactive")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return LoginResult(user)
