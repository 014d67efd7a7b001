"""Security headers, no inline script anywhere, autoescaping, and the error pages."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from shopcrm.config import Config
from shopcrm.models import User
from shopcrm.shops import default_shop
from shopcrm.web import create_app
from web_support import PASSWORD, login, text

PAGES = ["/", "/admin/plugins", "/admin/users", "/admin/settings"]


@pytest.mark.parametrize("url", ["/login", *PAGES])
def test_every_page_sends_the_security_headers(admin_client: FlaskClient, client: FlaskClient, url: str) -> None:
    response = (client if url == "/login" else admin_client).get(url)
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_no_inline_script_style_or_event_handler(admin_client: FlaskClient, url: str) -> None:
    page = text(admin_client.get(url))
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert re.findall(r"<style\b", page) == []
    assert re.findall(r"\son[a-z]+\s*=", page) == []
    assert re.findall(r"\sstyle\s*=", page) == []
    assert "//cdn" not in page and "https://" not in page


def test_htmx_is_configured_for_the_csp(admin_client: FlaskClient) -> None:
    page = text(admin_client.get("/"))
    assert '"includeIndicatorStyles": false' in page and '"allowEval": false' in page


def test_user_text_is_escaped(admin_client: FlaskClient, session: Session) -> None:
    shop = default_shop(session)
    shop.name = '<script>alert("x")</script>'
    session.commit()
    page = text(admin_client.get("/"))
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(" in page


def test_unknown_pages_get_the_404_page_in_the_layout(admin_client: FlaskClient, client: FlaskClient) -> None:
    response = admin_client.get("/no/such/page")
    assert response.status_code == 404
    page = text(response)
    assert "页面不存在" in page and "返回仪表盘" in page and 'class="sidebar"' in page
    anonymous = text(client.get("/no/such/page"))
    assert "页面不存在" in anonymous and "前往登录页" in anonymous and 'class="sidebar"' not in anonymous


def test_a_failing_page_gets_the_500_page_and_nothing_is_saved(
    config: Config, admin: User
) -> None:
    app = create_app(config)

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    client = app.test_client()
    login(client, "boss", PASSWORD)
    response = client.get("/boom")
    assert response.status_code == 500
    page = text(response)
    assert "出错了" in page and "所有内容均未保存" in page
    assert "boom" not in page
