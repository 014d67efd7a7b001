"""The web app's fixtures, shared by the web tests and the plugin tests that open pages: the app
on the test database, its client, users by role, and clients logged in through the form."""
from __future__ import annotations

from typing import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from shopcrm.accounts import create_user
from shopcrm.config import Config
from shopcrm.models import User
from shopcrm.web import create_app
from tests.web.web_support import PASSWORD, login


@pytest.fixture
def app(config: Config) -> Iterator[Flask]:
    app = create_app(config)
    app.config["TESTING"] = True
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    """Create and commit a user (password :data:`web_support.PASSWORD`)."""

    def make(username: str, role: str = "viewer", locale: str = "zh_CN") -> User:
        user = create_user(session, username, PASSWORD, role=role, locale=locale)
        session.commit()
        return user

    return make


@pytest.fixture
def login_as(app: Flask) -> Callable[[User], FlaskClient]:
    """A new client, logged in as ``user`` through the log-in form."""

    def make(user: User) -> FlaskClient:
        client = app.test_client()
        response = login(client, user.username, PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make
