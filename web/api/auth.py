"""API authentication: ``Authorization: Bearer <token>`` with a live API token of a shop.

The views are public for the log-in check (:func:`shopcrm.web.access.public`): the token is
their authentication. A missing, malformed, unknown or revoked token is answered 401 with a
``WWW-Authenticate`` header and a message that says which; the request changes nothing. The
token's last use is noted and committed before the view runs, so the view's own writes (in
sessions of their own) never wait for this request's.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable, Concatenate, ParamSpec, TypeVar

from flask import request
from sqlalchemy.orm import Session

from shopcrm.api_tokens import verify_token
from shopcrm.models import ApiToken
from shopcrm.web.access import public
from shopcrm.web.api.problems import ApiError
from shopcrm.web.database import db

P = ParamSpec("P")
R = TypeVar("R")

SCHEME = "Bearer"
REALM = "ShopCRM API"


def _unauthorized(message: str, invalid: bool = False) -> ApiError:
    challenge = f'{SCHEME} realm="{REALM}"' + (', error="invalid_token"' if invalid else "")
    return ApiError(401, message, headers={"WWW-Authenticate": challenge})


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization`` header value; :class:`ApiError` 401 when there is none."""
    if not header or not header.strip():
        raise _unauthorized("authentication required: send the header Authorization: Bearer <token>")
    scheme, _sep, token = header.strip().partition(" ")
    if scheme.lower() != SCHEME.lower() or not token.strip():
        raise _unauthorized("the Authorization header must be: Bearer <token>")
    return token.strip()


def authenticate(session: Session, header: str | None) -> ApiToken:
    """The live token the header carries, its use noted; 401 for any other header."""
    token = verify_token(session, bearer_token(header))
    if token is None:
        raise _unauthorized("the API token is unknown or has been revoked", invalid=True)
    session.commit()
    return token


def token_required(view: Callable[Concatenate[ApiToken, P], R]) -> Callable[P, R]:
    """Run ``view`` with the request's API token as its first argument."""

    @public
    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        token = authenticate(db(), request.headers.get("Authorization"))
        return view(token, *args, **kwargs)

    return wrapped
