"""The users page: create, change role, deactivate/reactivate, reset password, all audited,
and never without an active administrator."""
from __future__ import annotations

from typing import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from shopcrm.models import AuditLog, User
from web_support import PASSWORD, login, post_form, text


def act(client: FlaskClient, url: str, data: dict[str, str]) -> TestResponse:
    return post_form(client, url, data, token_from="/admin/users")


def audit(session: Session, action: str) -> list[AuditLog]:
    session.rollback()  # end the read transaction: see what the app committed since
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_the_list_shows_every_user_with_role_and_status(
    admin_client: FlaskClient, operator: User, viewer: User
) -> None:
    page = text(admin_client.get("/admin/users"))
    for name in ("boss", "ops", "guest"):
        assert name in page
    assert "运营" in page and "查看者" in page and "正常" in page


def test_creating_a_user_who_can_then_log_in(
    app: Flask, admin_client: FlaskClient, session: Session
) -> None:
    response = act(admin_client, "/admin/users", {
        "username": "xiaoli", "password": "long-enough-1", "role": "operator", "locale": "en"})
    assert response.status_code == 302
    assert "已创建用户 xiaoli。" in text(admin_client.get("/admin/users"))
    user = session.scalars(select(User).where(User.username == "xiaoli")).one()
    assert (user.role, user.locale, user.active) == ("operator", "en", True)
    entry = audit(session, "user.create")[0]
    assert (entry.username, entry.target, entry.details) == (
        "boss", "user:xiaoli", {"role": "operator", "locale": "en"})
    assert login(app.test_client(), "xiaoli", "long-enough-1").status_code == 302


def test_creating_a_user_is_validated(
    admin_client: FlaskClient, operator: User, session: Session
) -> None:
    cases = [
        ({"username": "", "password": "long-enough-1"}, "请输入用户名。"),
        ({"username": "a b", "password": "long-enough-1"}, "请使用 2 至 60 个字母、数字或 _ . @ - 字符"),
        ({"username": "OPS", "password": "long-enough-1"}, "用户名 OPS 已存在。"),
        ({"username": "newbie", "password": "short"}, "密码至少需要 8 个字符。"),
    ]
    for data, message in cases:
        response = act(admin_client, "/admin/users", {"role": "viewer", "locale": "zh_CN", **data})
        assert response.status_code == 200
        assert message in text(response), data
    assert audit(session, "user.create") == []


def test_changing_a_role_is_audited(
    admin_client: FlaskClient, operator: User, session: Session
) -> None:
    response = act(admin_client, f"/admin/users/{operator.id}/role", {"role": "viewer"})
    assert response.status_code == 302
    assert "ops 的角色已改为：查看者。" in text(admin_client.get("/admin/users"))
    session.refresh(operator)
    assert operator.role == "viewer"
    assert audit(session, "user.role")[0].details == {"from": "operator", "to": "viewer"}


def test_the_last_admin_cannot_demote_or_deactivate_themselves(
    admin_client: FlaskClient, admin: User, session: Session
) -> None:
    act(admin_client, f"/admin/users/{admin.id}/role", {"role": "operator"})
    assert "boss 是最后一位有效的管理员" in text(admin_client.get("/admin/users"))
    act(admin_client, f"/admin/users/{admin.id}/active", {"active": "0"})
    assert "不能停用" in text(admin_client.get("/admin/users"))
    session.refresh(admin)
    assert (admin.role, admin.active) == ("admin", True)
    assert audit(session, "user.role") == [] and audit(session, "user.deactivate") == []


def test_an_admin_may_step_down_when_another_admin_remains(
    admin_client: FlaskClient, admin: User, make_user: Callable[..., User], session: Session
) -> None:
    make_user("deputy", "admin")
    assert act(admin_client, f"/admin/users/{admin.id}/role", {"role": "operator"}).status_code == 302
    session.refresh(admin)
    assert admin.role == "operator"
    assert admin_client.get("/admin/users").status_code == 403


def test_an_inactive_admin_does_not_count_as_the_remaining_admin(
    admin_client: FlaskClient, admin: User, make_user: Callable[..., User], session: Session
) -> None:
    deputy = make_user("deputy", "admin")
    deputy.active = False
    session.commit()
    act(admin_client, f"/admin/users/{admin.id}/active", {"active": "0"})
    session.refresh(admin)
    assert admin.active is True


def test_deactivating_and_reactivating_a_user(
    app: Flask, admin_client: FlaskClient, operator: User, session: Session
) -> None:
    act(admin_client, f"/admin/users/{operator.id}/active", {"active": "0"})
    page = text(admin_client.get("/admin/users"))
    assert "ops 已停用，无法再登录。" in page and "已停用" in page
    assert "此账号已停用" in text(login(app.test_client(), "ops", PASSWORD))
    act(admin_client, f"/admin/users/{operator.id}/active", {"active": "1"})
    assert "ops 已重新启用，可以登录。" in text(admin_client.get("/admin/users"))
    assert login(app.test_client(), "ops", PASSWORD).status_code == 302
    assert len(audit(session, "user.deactivate")) == len(audit(session, "user.reactivate")) == 1


def test_resetting_a_password_lifts_a_lock_and_is_audited(
    app: Flask, admin_client: FlaskClient, operator: User, session: Session
) -> None:
    for _ in range(5):
        login(app.test_client(), "ops", "wrong-guess")
    session.refresh(operator)
    assert operator.locked_until is not None
    assert "锁定至" in text(admin_client.get("/admin/users"))
    act(admin_client, f"/admin/users/{operator.id}/password", {"password": "brand-new-pass"})
    assert "已为 ops 设置新密码。" in text(admin_client.get("/admin/users"))
    assert login(app.test_client(), "ops", "brand-new-pass").status_code == 302
    assert audit(session, "user.password")[0].target == "user:ops"


def test_a_too_short_new_password_is_refused(
    admin_client: FlaskClient, operator: User, session: Session
) -> None:
    act(admin_client, f"/admin/users/{operator.id}/password", {"password": "short"})
    assert "未修改 ops 的密码：密码至少需要 8 个字符。" in text(admin_client.get("/admin/users"))
    assert audit(session, "user.password") == []


def test_actions_on_a_user_that_does_not_exist_answer_404(admin_client: FlaskClient) -> None:
    assert act(admin_client, "/admin/users/999/role", {"role": "viewer"}).status_code == 404


def test_an_unknown_role_is_refused(admin_client: FlaskClient, operator: User) -> None:
    assert act(admin_client, f"/admin/users/{operator.id}/role", {"role": "owner"}).status_code == 400
