"""Logging in and out: one message for any wrong credentials, throttling, audit, sessions."""
from __future__ import annotations

import datetime as dt
from typing import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.accounts import MAX_FAILED_LOGINS
from shopcrm.models import AuditLog, User
from web_support import PASSWORD, login, post_form, text

WRONG = "用户名或密码错误。"


def audit_actions(session: Session) -> list[tuple[str, str | None]]:
    session.rollback()  # end the read transaction: see what the app committed since
    return [(row.action, row.username) for row in session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_logging_in_lands_on_the_dashboard_and_is_audited(
    client: FlaskClient, admin: User, session: Session
) -> None:
    response = login(client, "boss", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = text(client.get("/"))
    assert "boss" in page and "管理员" in page and "退出登录" in page
    assert ("login.success", "boss") in audit_actions(session)


def test_a_wrong_name_and_a_wrong_password_get_the_same_message(
    client: FlaskClient, admin: User, session: Session
) -> None:
    wrong_password = login(client, "boss", "not-the-password")
    wrong_name = login(client, "nobody", PASSWORD)
    for response in (wrong_password, wrong_name):
        assert response.status_code == 200
        assert WRONG in text(response)
    assert text(wrong_password).count(WRONG) == text(wrong_name).count(WRONG) == 1
    failures = [row for row in audit_actions(session) if row[0] == "login.failure"]
    assert failures == [("login.failure", "boss"), ("login.failure", "nobody")]
    assert client.get("/").status_code == 302  # still not logged in


def test_the_account_locks_after_repeated_failures_and_says_until_when(
    client: FlaskClient, admin: User, session: Session
) -> None:
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert WRONG in text(login(client, "boss", "guess"))
    locked = text(login(client, "boss", "guess"))
    assert "已锁定至" in locked
    session.refresh(admin)
    assert admin.locked_until is not None
    shop_time = admin.locked_until + dt.timedelta(hours=8)  # the shop's zone, Asia/Shanghai
    assert shop_time.strftime("%H:%M") in locked
    # Even the right password is refused while the lock lasts.
    response = login(client, "boss", PASSWORD)
    assert "已锁定至" in text(response)
    assert client.get("/").status_code == 302


def test_a_deactivated_user_cannot_log_in(
    client: FlaskClient, admin: User, session: Session
) -> None:
    admin.active = False
    session.commit()
    response = login(client, "boss", PASSWORD)
    assert "此账号已停用" in text(response)
    assert client.get("/").status_code == 302


def test_logging_out_needs_a_post_ends_the_session_and_is_audited(
    admin_client: FlaskClient, session: Session
) -> None:
    assert admin_client.get("/logout").status_code == 405
    response = post_form(admin_client, "/logout", {})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "您已退出登录。" in text(admin_client.get("/login"))
    assert admin_client.get("/").status_code == 302
    assert ("logout", "boss") in audit_actions(session)


def test_the_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient, admin: User) -> None:
    response = login(client, "boss", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_next_never_leads_to_another_site(client: FlaskClient, admin: User) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = login(client, "boss", PASSWORD, next_url=target)
        assert response.headers["Location"] == "/", target
        post_form(client, "/logout", {})


def test_a_password_reset_ends_the_users_other_sessions(
    login_as: Callable[[User], FlaskClient], admin: User, operator: User, session: Session
) -> None:
    ops_client = login_as(operator)
    assert ops_client.get("/").status_code == 200
    admin_client = login_as(admin)
    response = post_form(admin_client, f"/admin/users/{operator.id}/password",
                         {"password": "a-new-password-2"}, token_from="/admin/users")
    assert response.status_code == 302
    assert ops_client.get("/").status_code == 302


def test_deactivating_a_user_signs_them_out(
    login_as: Callable[[User], FlaskClient], admin: User, operator: User
) -> None:
    ops_client = login_as(operator)
    admin_client = login_as(admin)
    post_form(admin_client, f"/admin/users/{operator.id}/active", {"active": "0"},
              token_from="/admin/users")
    assert ops_client.get("/").status_code == 302


def test_the_login_form_needs_its_csrf_token(client: FlaskClient, admin: User) -> None:
    response = client.post("/login", data={"username": "boss", "password": PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in text(response)
    assert client.get("/").status_code == 302


def test_a_logged_in_user_opening_the_login_page_goes_to_the_dashboard(
    admin_client: FlaskClient,
) -> None:
    response = admin_client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/"
