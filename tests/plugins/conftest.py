"""Fixtures for the built-in plugins' pages: the app with every installed plugin, and users by role.

The web UI's own fixtures (tests/web/app_fixtures.py), for the plugin tests that open pages.
"""
from __future__ import annotations

from typing import Callable

import pytest
from flask.testing import FlaskClient

from shopcrm.models import User
from tests.web.app_fixtures import app, client, login_as, make_user  # noqa: F401  (shared fixtures)


@pytest.fixture
def admin_client(login_as: Callable[[User], FlaskClient], make_user: Callable[..., User]) -> FlaskClient:
    return login_as(make_user("boss", "admin"))


@pytest.fixture
def operator_client(login_as: Callable[[User], FlaskClient], make_user: Callable[..., User]) -> FlaskClient:
    return login_as(make_user("ops", "operator"))


@pytest.fixture
def viewer_client(login_as: Callable[[User], FlaskClient], make_user: Callable[..., User]) -> FlaskClient:
    return login_as(make_user("guest", "viewer"))
