"""Helpers the web tests share: reading CSRF tokens from pages, logging in, posting forms."""
from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from shopcrm.models import Customer

PASSWORD = "correct-horse-1"

_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_FIELD_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token a page carries (its meta tag, or a form's hidden field)."""
    found = _META_TOKEN.search(html) or _FIELD_TOKEN.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def page_token(client: FlaskClient, url: str = "/login") -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_token(response.get_data(as_text=True))


def login(client: FlaskClient, username: str, password: str, next_url: str | None = None) -> TestResponse:
    token = page_token(client, "/login")
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": token})


def post_form(client: FlaskClient, url: str, data: dict[str, Any], token_from: str = "/",
              **kwargs: Any) -> TestResponse:
    """POST ``data`` to ``url`` with the CSRF token of the page at ``token_from``."""
    return client.post(url, data={**data, "csrf_token": page_token(client, token_from)}, **kwargs)


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def make_customer(shop_id: int, nick: str, **fields: Any) -> Customer:
    """A customer known by their platform nick (which is then their identity in the shop)."""
    return Customer(shop_id=shop_id, identity=nick, platform_id=nick, **fields)
