"""The database session of one request, and the configuration the application serves.

Views call :func:`db` for a session that lives as long as the request: it is closed (and
anything left uncommitted rolled back) when the request ends, so a view commits exactly the
changes it means to keep.
"""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import Session, sessionmaker

from shopcrm.config import Config
from shopcrm.db import get_engine, session_factory

_FACTORY_KEY = "shopcrm.sessions"


def init_app(app: Flask, config: Config) -> None:
    """Bind the application to ``config``'s database and close each request's session."""
    engine = get_engine(config)
    app.extensions[_FACTORY_KEY] = (session_factory(engine), session_factory(engine, write=True))
    app.teardown_appcontext(_close_session)


def current_config() -> Config:
    """The :class:`~shopcrm.config.Config` the running application was created with."""
    config: Config = current_app.config["SHOPCRM_CONFIG"]
    return config


def db() -> Session:
    """This request's session, opened on first use: a write session for requests that change
    things (POST and the like), a read session for GET and HEAD."""
    session: Session | None = g.get("db_session")
    if session is None:
        read, write = current_app.extensions[_FACTORY_KEY]
        factory: sessionmaker[Session] = write if has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS") else read
        session = g.db_session = factory()
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()
