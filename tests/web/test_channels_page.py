"""The channel settings page: admins only, one form per channel, secrets never shown back."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from shopcrm import channel_settings
from shopcrm.config import Config
from shopcrm.models import AuditLog, Setting
from shopcrm.shops import default_shop
from web_support import page_token, text

SECRET = "aliyun-secret-4f9d2c"
PAGE = "/admin/channels"


def aliyun(**overrides: str) -> dict[str, str]:
    return {"price_per_part": "0.04", "rate_per_second": "50", "access_key_id": "LTAI-key",
            "access_key_secret": SECRET, "sign_name": "小满生活", "endpoint": "", "region": "", "timeout": "",
            **overrides}


def save(client: FlaskClient, channel: str, values: dict[str, str]) -> TestResponse:
    return client.post(f"{PAGE}/{channel}", data={**values, "csrf_token": page_token(client, PAGE)})


def test_admins_see_every_channel_with_the_core_fields_first(admin_client: FlaskClient) -> None:
    page = text(admin_client.get(PAGE))
    assert 'id="channel-sms_mock"' in page and 'id="channel-sms_aliyun"' in page
    assert "每条计费短信单价（元）" in page and "每秒发送条数" in page
    aliyun_form = page[page.index('id="channel-sms_aliyun"'):]
    assert aliyun_form.index('name="price_per_part"') < aliyun_form.index('name="access_key_id"')
    assert 'type="password" id="sms_aliyun-access_key_secret" name="access_key_secret" value=""' in page
    assert "未设置" in page


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_other_roles_may_not_open_or_post(make_user, login_as, role: str) -> None:
    client = login_as(make_user(f"u_{role}", role))
    assert client.get(PAGE).status_code == 403
    token = page_token(client, "/")
    assert client.post(f"{PAGE}/sms_mock", data={"csrf_token": token}).status_code == 403


def test_the_admin_menu_links_the_page(admin_client: FlaskClient) -> None:
    assert f'href="{PAGE}"' in text(admin_client.get("/"))
    assert f'href="{PAGE}"' in text(admin_client.get("/admin/settings"))


def test_saving_stores_the_secret_encrypted_and_never_shows_it(
    admin_client: FlaskClient, session: Session, config: Config
) -> None:
    response = save(admin_client, "sms_aliyun", aliyun())
    assert response.status_code == 302
    page = text(admin_client.get(PAGE))
    assert "阿里云短信 的设置已保存。" in page
    assert SECRET not in page
    ciphertext = session.scalars(select(Setting.value).where(Setting.key == "access_key_secret")).one()
    assert SECRET not in ciphertext and ciphertext not in page
    assert "已设置" in page and 'value="LTAI-key"' in page and 'value="0.04"' in page
    shop = default_shop(session)
    loaded = channel_settings.load(session, config, "sms_aliyun", shop.id)
    assert (loaded["access_key_secret"], loaded["price_per_part"], loaded["rate_per_second"]) == (
        SECRET, Decimal("0.04"), 50)


def test_saving_is_audited_without_the_secret(admin_client: FlaskClient, session: Session) -> None:
    save(admin_client, "sms_aliyun", aliyun())
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "channel.settings")).one()
    assert entry.username == "boss" and entry.details["channel"] == "sms_aliyun"
    assert "access_key_secret" in entry.details["changed"]
    ciphertext = session.scalars(select(Setting.value).where(Setting.key == "access_key_secret")).one()
    assert SECRET not in repr(entry.details) and ciphertext not in repr(entry.details)


def test_a_blank_secret_keeps_the_stored_one(admin_client: FlaskClient, session: Session, config: Config) -> None:
    save(admin_client, "sms_aliyun", aliyun())
    assert save(admin_client, "sms_aliyun", aliyun(access_key_secret="", sign_name="小满")).status_code == 302
    loaded = channel_settings.load(session, config, "sms_aliyun", default_shop(session).id)
    assert (loaded["access_key_secret"], loaded["sign_name"]) == (SECRET, "小满")


def test_invalid_values_are_refused_with_messages_and_nothing_is_saved(
    admin_client: FlaskClient, session: Session
) -> None:
    response = save(admin_client, "sms_aliyun", aliyun(price_per_part="便宜", access_key_id=""))
    assert response.status_code == 422
    page = text(response)
    assert "每条计费短信单价（元） 须为不小于 0 的元数" in page
    assert "AccessKey ID 为必填项。" in page
    assert 'value="便宜"' in page  # what was typed is kept
    assert SECRET not in page  # a typed secret is not sent back either
    assert session.scalars(select(Setting)).all() == []


def test_a_post_without_the_csrf_token_is_refused(admin_client: FlaskClient, session: Session) -> None:
    response = admin_client.post(f"{PAGE}/sms_aliyun", data=aliyun())
    assert response.status_code == 400
    assert session.scalars(select(Setting)).all() == []


def test_an_unknown_channel_is_not_found(admin_client: FlaskClient) -> None:
    assert save(admin_client, "carrier_pigeon", {}).status_code == 404
