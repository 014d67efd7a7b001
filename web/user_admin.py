"""What administrators do to accounts, each change written to the audit log.

The rule that protects the site from locking itself out: there is always at least one active
administrator. Demoting or deactivating the last one (oneself included) is refused with
:class:`LastAdminError`; the check locks the administrators' rows on PostgreSQL, so two
administrators demoting each other at the same moment cannot both succeed.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopcrm import audit
from shopcrm.accounts import create_user, set_password
from shopcrm.models import ROLES, User


class LastAdminError(Exception):
    """The change would leave no active administrator."""


def _user_target(user: User) -> str:
    return f"user:{user.username}"


def username_taken(session: Session, username: str) -> bool:
    """True when a user of that name exists (names are unique regardless of case)."""
    found = session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    return found is not None


def other_active_admins(session: Session, user: User) -> int:
    """How many active administrators there are besides ``user`` (rows locked for update)."""
    ids = session.scalars(
        select(User.id).where(User.role == "admin", User.active.is_(True), User.id != user.id)
        .with_for_update()
    ).all()
    return len(ids)


def _keeps_an_admin(session: Session, user: User) -> None:
    if user.role == "admin" and user.active and other_active_admins(session, user) == 0:
        raise LastAdminError(user.username)


def add_user(session: Session, actor: User, username: str, password: str, role: str,
             locale: str, ip: str | None) -> User:
    """Create an account (see :func:`shopcrm.accounts.create_user` for the rules)."""
    user = create_user(session, username, password, role=role, locale=locale)
    audit.record(session, "user.create", user=actor, target=_user_target(user),
                 details={"role": role, "locale": locale}, ip=ip)
    return user


def change_role(session: Session, actor: User, user: User, role: str, ip: str | None) -> bool:
    """Give ``user`` the role ``role``; False when it already had it."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role == user.role:
        return False
    if role != "admin":
        _keeps_an_admin(session, user)
    audit.record(session, "user.role", user=actor, target=_user_target(user),
                 details={"from": user.role, "to": role}, ip=ip)
    user.role = role
    return True


def set_active(session: Session, actor: User, user: User, active: bool, ip: str | None) -> bool:
    """Deactivate (signs the user out, refuses their log-ins) or reactivate ``user``."""
    if user.active == active:
        return False
    if not active:
        _keeps_an_admin(session, user)
    user.active = active
    audit.record(session, "user.reactivate" if active else "user.deactivate", user=actor,
                 target=_user_target(user), ip=ip)
    return True


def reset_password(session: Session, actor: User, user: User, password: str, ip: str | None) -> None:
    """Set a new password for ``user``; it also lifts a log-in lock and ends their sessions."""
    set_password(user, password)
    audit.record(session, "user.password", user=actor, target=_user_target(user), ip=ip)
