"""Who may open which page: log-in for every view unless marked public, and roles on top.

Every view needs a signed-in user by default (:func:`require_login` runs before every request,
plugin pages included); only views marked :func:`public` and static files are open. Roles
(admin > operator > viewer, see :meth:`shopcrm.models.User.can`) narrow that further, per view
with :func:`role_required` or per blueprint with :func:`require_role`.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable, ParamSpec, TypeVar

from flask import abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from shopcrm.models import ROLES

P = ParamSpec("P")
R = TypeVar("R")

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "operator": _l("Operator"),
    "viewer": _l("Viewer"),
}
"""The name of each role as the UI shows it."""

assert set(ROLE_LABELS) == set(ROLES), "every role needs a label"


def role_label(role: str) -> str:
    """The translated name of ``role`` (the code itself for a role the UI does not know)."""
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


def public(view: Callable[P, R]) -> Callable[P, R]:
    """Mark ``view`` as open to visitors who have not logged in (the log-in page)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def is_public_endpoint(endpoint: str) -> bool:
    """Static files (the app's and any blueprint's) and views marked :func:`public`."""
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "is_public", False))


def require_login() -> ResponseReturnValue | None:
    """``before_request``: send anonymous visitors of any non-public page to the log-in page."""
    endpoint = request.endpoint
    if endpoint is None or is_public_endpoint(endpoint):
        return None  # unknown URLs and wrong methods end in their own 404/405
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    return None


def require_role(role: str) -> Callable[[], None]:
    """A ``before_request`` function for a blueprint whose every view needs ``role``."""
    _known(role)

    def check() -> None:
        _check_role(role)

    return check


def role_required(role: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view that needs ``role`` or above; others get 403."""
    _known(role)

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            _check_role(role)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _known(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")


def _check_role(role: str) -> None:
    if not current_user.is_authenticated:
        abort(401)
    if not current_user.can(role):
        abort(403)
