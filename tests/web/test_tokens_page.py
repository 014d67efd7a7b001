"""The API tokens page: administrators list, create (shown once) and revoke tokens, audited."""
from __future__ import annotations

import json
import re
from typing import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.api_tokens import create_token, verify_token
from shopcrm.models import ApiToken, AuditLog, Shop, User
from shopcrm.shops import default_shop
from web_support import page_token, post_form, text

TOKEN = re.compile(r'id="new-token" value="(scrm_[^"]+)"')


def create(client: FlaskClient, name: str) -> str:
    response = post_form(client, "/admin/tokens", {"name": name}, token_from="/admin/tokens")
    assert response.status_code == 200
    return text(response)


def test_the_page_says_when_there_is_no_token(admin_client: FlaskClient) -> None:
    page = text(admin_client.get("/admin/tokens"))
    assert "API 令牌" in page and "还没有 API 令牌。" in page
    assert 'href="/api/v1/openapi.json"' in page
    assert '<a href="/admin/tokens" aria-current="page">API 令牌</a>' in page


def test_a_new_token_is_shown_once_and_works(
    admin_client: FlaskClient, admin: User, session: Session
) -> None:
    page = create(admin_client, "  ERP 系统 ")
    found = TOKEN.search(page)
    assert found, page
    secret = found.group(1)
    assert "请立即复制令牌并妥善保管：它只显示这一次，之后无法再次查看。" in page
    assert f"Authorization: Bearer {secret}" in page
    assert 'data-copy="new-token"' in page and "/static/js/copy.js" in page

    session.rollback()
    row = session.scalar(select(ApiToken))
    assert row is not None and row.name == "ERP 系统" and row.created_by == admin.id
    assert secret.startswith(row.prefix)
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "token.create"))
    assert entry is not None and entry.user_id == admin.id and entry.target == f"token:{row.id}"
    assert entry.details == {"name": "ERP 系统"}

    listing = text(admin_client.get("/admin/tokens"))
    assert secret not in listing
    assert "ERP 系统" in listing and f"{row.prefix}…" in listing and "从未使用" in listing
    assert "boss" in listing and '<span class="badge badge-on">正常</span>' in listing

    response = admin_client.post("/api/v1/customers", data=json.dumps({"mobile": "13800000000"}),
                                 content_type="application/json",
                                 headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert "从未使用" not in text(admin_client.get("/admin/tokens"))  # last use shown


def test_a_token_needs_a_name(admin_client: FlaskClient, session: Session) -> None:
    page = create(admin_client, "   ")
    assert "请以将使用它的系统为令牌命名。" in page
    assert not TOKEN.search(page)
    session.rollback()
    assert session.scalar(select(ApiToken)) is None


def test_revoking_a_token_refuses_its_requests_from_then_on(
    admin_client: FlaskClient, admin: User, session: Session
) -> None:
    secret = TOKEN.search(create(admin_client, "ERP")).group(1)  # type: ignore[union-attr]
    session.rollback()
    row = session.scalar(select(ApiToken))
    assert row is not None
    response = post_form(admin_client, f"/admin/tokens/{row.id}/revoke", {}, token_from="/admin/tokens")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/tokens"
    page = text(admin_client.get("/admin/tokens"))
    assert "令牌 ERP 已撤销：此后使用它的请求都会被拒绝。" in page
    assert "已于" in page and f'action="/admin/tokens/{row.id}/revoke"' not in page
    session.rollback()
    assert session.get(ApiToken, row.id).revoked_at is not None  # type: ignore[union-attr]
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "token.revoke"))
    assert entry is not None and entry.user_id == admin.id and entry.target == f"token:{row.id}"
    assert verify_token(session, secret) is None

    again = post_form(admin_client, f"/admin/tokens/{row.id}/revoke", {}, token_from="/admin/tokens")
    assert again.status_code == 302
    session.rollback()
    assert len(session.scalars(select(AuditLog).where(AuditLog.action == "token.revoke")).all()) == 1


def test_tokens_of_another_shop_are_neither_listed_nor_revoked(
    admin_client: FlaskClient, session: Session
) -> None:
    default_shop(session)
    other = Shop(name="分店", sms_signature="")
    session.add(other)
    session.flush()
    new = create_token(session, other.id, "分店 ERP")
    session.commit()
    assert "分店 ERP" not in text(admin_client.get("/admin/tokens"))
    response = post_form(admin_client, f"/admin/tokens/{new.id}/revoke", {}, token_from="/admin/tokens")
    assert response.status_code == 404
    session.rollback()
    assert session.get(ApiToken, new.id).revoked_at is None  # type: ignore[union-attr]


def test_only_administrators_manage_tokens(
    login_as: Callable[[User], FlaskClient], operator: User, viewer: User, session: Session
) -> None:
    new = create_token(session, default_shop(session).id, "ERP")
    session.commit()
    for user in (operator, viewer):
        client = login_as(user)
        assert client.get("/admin/tokens").status_code == 403
        token = page_token(client, "/")
        assert client.post("/admin/tokens", data={"name": "x", "csrf_token": token}).status_code == 403
        assert client.post(f"/admin/tokens/{new.id}/revoke", data={"csrf_token": token}).status_code == 403
        assert "/admin/tokens" not in text(client.get("/"))
    session.rollback()
    assert session.get(ApiToken, new.id).revoked_at is None  # type: ignore[union-attr]


def test_forms_without_the_csrf_token_are_refused(admin_client: FlaskClient, session: Session) -> None:
    assert admin_client.post("/admin/tokens", data={"name": "x"}).status_code == 400
    session.rollback()
    assert session.scalar(select(ApiToken)) is None
