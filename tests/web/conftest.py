"""Fixtures for the web UI: a fresh app on the test database, its client, and users by role.

CSRF protection stays on: tests log in and post forms with the token read from the page, as a
browser does. ``TESTING`` makes errors inside views fail the test instead of becoming a 500.
"""
from __future__ import annotations

from typing import Callable

import pytest
from flask.testing import FlaskClient

from app_fixtures import app, client, login_as, make_user  # noqa: F401  (shared fixtures)
from shopcrm.models import User


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("boss", "admin")


@pytest.fixture
def operator(make_user: Callable[..., User]) -> User:
    return make_user("ops", "operator")


@pytest.fixture
def viewer(make_user: Callable[..., User]) -> User:
    return make_user("guest", "viewer")


@pytest.fixture
def admin_client(login_as: Callable[[User], FlaskClient], admin: User) -> FlaskClient:
    return login_as(admin)
