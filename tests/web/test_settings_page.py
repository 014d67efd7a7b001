"""The settings page: the shop's name and SMS signature, validated and audited."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from shopcrm.models import AuditLog, Shop
from shopcrm.shops import default_shop
from web_support import post_form, text


def save(client: FlaskClient, name: str, signature: str) -> TestResponse:
    return post_form(client, "/admin/settings", {"name": name, "sms_signature": signature},
                     token_from="/admin/settings")


def test_the_page_shows_the_default_shop(admin_client: FlaskClient) -> None:
    page = text(admin_client.get("/admin/settings"))
    assert "店铺名称" in page and "短信签名" in page
    assert 'value="我的店铺"' in page


def test_saving_changes_the_shop_and_is_audited(
    admin_client: FlaskClient, session: Session
) -> None:
    response = save(admin_client, "  小满生活旗舰店 ", "小满生活")
    assert response.status_code == 302
    page = text(admin_client.get("/admin/settings"))
    assert "设置已保存。" in page
    assert "【小满生活】" in page
    session.rollback()  # end the read transaction: see what the app committed since
    shop = default_shop(session)
    assert (shop.name, shop.sms_signature) == ("小满生活旗舰店", "小满生活")
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "settings.shop")).one()
    assert entry.username == "boss"
    assert entry.details == {"name": ["我的店铺", "小满生活旗舰店"], "sms_signature": ["", "小满生活"]}
    assert "小满生活旗舰店" in text(admin_client.get("/"))


def test_saving_the_same_values_records_nothing(admin_client: FlaskClient, session: Session) -> None:
    save(admin_client, "小满", "小满生活")
    save(admin_client, "小满", "小满生活")
    assert "没有需要保存的修改。" in text(admin_client.get("/admin/settings"))
    count = session.scalars(select(AuditLog).where(AuditLog.action == "settings.shop")).all()
    assert len(count) == 1


@pytest.mark.parametrize(("signature", "message"), [
    ("满", "短信签名需为 2 至 12 个字符。"),
    ("小满生活旗舰店官方直营店铺啊", "短信签名需为 2 至 12 个字符。"),
    ("【小满生活】", "请不要输入【】括号"),
    ("小满】", "请不要输入【】括号"),
    ("   ", "请输入短信签名。"),
])
def test_a_bad_signature_is_refused_with_a_clear_message(
    admin_client: FlaskClient, session: Session, signature: str, message: str
) -> None:
    response = save(admin_client, "小满", signature)
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert 'value="小满"' in page  # what was typed is kept
    session.rollback()  # end the read transaction: see what the app committed since
    assert default_shop(session).sms_signature == ""


def test_the_signature_may_have_exactly_2_or_12_characters(
    admin_client: FlaskClient, session: Session
) -> None:
    for signature in ("小满", "小满生活旗舰店官方直营"):
        assert len(signature) in (2, 11)
    assert save(admin_client, "小满", "小满").status_code == 302
    assert save(admin_client, "小满", "一二三四五六七八九十甲乙").status_code == 302
    session.rollback()  # end the read transaction: see what the app committed since
    assert default_shop(session).sms_signature == "一二三四五六七八九十甲乙"


def test_the_shop_needs_a_name_not_taken_by_another_shop(
    admin_client: FlaskClient, session: Session
) -> None:
    default_shop(session)
    session.add(Shop(name="另一家店", sms_signature="另一家"))
    session.commit()
    assert "请输入店铺名称。" in text(save(admin_client, "", "小满"))
    assert "已有其他店铺名为 另一家店。" in text(save(admin_client, "另一家店", "小满"))
    assert "店铺名称最多 100 个字符。" in text(save(admin_client, "店" * 101, "小满"))
