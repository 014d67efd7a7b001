"""The message template pages: who may do what, saving with checked variables, the live preview."""
from __future__ import annotations

import math
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from shopcrm import channel_settings
from shopcrm.config import Config
from shopcrm.message_templates import OPT_OUT_TEXT
from shopcrm.models import AuditLog, Template
from shopcrm.shops import default_shop
from web_support import make_customer, page_token, text

SIGNATURE = "小满生活"
BODY = "亲爱的${nickname}，您的宝贝已发货，请留意查收！"


@pytest.fixture
def shop(session: Session) -> dict[str, Any]:
    """The default shop, signed, with two customers."""
    shop = default_shop(session)
    shop.sms_signature = SIGNATURE
    wang = make_customer(shop.id, "tb_wang_xiaoming", name="王小明", mobile="13812345678", mobile_tail="5678")
    li = make_customer(shop.id, "tb_li", name="李丽", mobile="13900001111", mobile_tail="1111")
    session.add_all([wang, li])
    session.commit()
    return {"id": shop.id, "wang": wang.id, "li": li.id}


@pytest.fixture
def operator_client(login_as, operator) -> FlaskClient:
    return login_as(operator)


@pytest.fixture
def viewer_client(login_as, viewer) -> FlaskClient:
    return login_as(viewer)


def form(**overrides: str) -> dict[str, str]:
    return {"name": "发货提醒", "kind": "notification", "channel": "sms_mock", "text": BODY, "subject": "",
            "gateway_template_code": "", "gateway_params": "", **overrides}


def save(client: FlaskClient, data: dict[str, str], url: str = "/templates/new") -> TestResponse:
    return client.post(url, data={**data, "csrf_token": page_token(client, "/templates/new")})


def preview(client: FlaskClient, data: dict[str, str]) -> TestResponse:
    token = page_token(client, "/templates/new")
    return client.post("/templates/preview", data=data, headers={"HX-Request": "true", "X-CSRFToken": token})


def parts(length: int) -> int:
    """Billed SMS parts, counted here on their own: 70 characters for one, 67 per part beyond."""
    return 1 if length <= 70 else math.ceil(length / 67)


def test_the_pages_need_a_log_in(client: FlaskClient) -> None:
    for url in ("/templates/", "/templates/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_role_sees_the_menu_item(viewer_client: FlaskClient) -> None:
    page = text(viewer_client.get("/"))
    assert 'href="/templates/"' in page and "短信模板" in page


def test_an_operator_creates_a_template_and_it_is_listed(
    operator_client: FlaskClient, session: Session, shop: dict[str, Any]
) -> None:
    response = save(operator_client, form())
    assert response.status_code == 302
    template = session.scalars(select(Template)).one()
    assert (template.name, template.kind, template.channel, template.text) == ("发货提醒", "notification",
                                                                                "sms_mock", BODY)
    assert response.headers["Location"].endswith(f"/templates/{template.id}")
    page = text(operator_client.get("/templates/"))
    assert "发货提醒" in page and "通知" in page and "短信沙箱" in page
    assert "亲爱的${nickname}，您的宝贝已发货" in page
    composed = f"【{SIGNATURE}】" + BODY.replace("${nickname}", "tb_zhangwei88")
    assert f'<td class="number">{parts(len(composed))}</td>' in page
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "template.create")).one()
    assert entry.username == "ops"


def test_viewers_read_but_may_not_save_or_delete(
    viewer_client: FlaskClient, operator_client: FlaskClient, session: Session, shop: dict[str, Any]
) -> None:
    save(operator_client, form())
    template = session.scalars(select(Template)).one()
    listing = text(viewer_client.get("/templates/"))
    assert "发货提醒" in listing and "新建模板" not in listing and "删除" not in listing
    editor = text(viewer_client.get(f"/templates/{template.id}"))
    assert '<button type="submit">保存模板</button>' not in editor and "需要操作员权限" in editor
    assert save(viewer_client, form(name="别的")).status_code == 403
    assert save(viewer_client, form(name="改名"), url=f"/templates/{template.id}").status_code == 403
    token = page_token(viewer_client, "/templates/")
    assert viewer_client.post(f"/templates/{template.id}/delete", data={"csrf_token": token}).status_code == 403
    session.rollback()  # end the read transaction: see what the app committed since
    assert [t.name for t in session.scalars(select(Template))] == ["发货提醒"]
    assert preview(viewer_client, form()).status_code == 200  # previewing only reads


def test_posts_without_the_csrf_token_are_refused(operator_client: FlaskClient, session: Session) -> None:
    assert operator_client.post("/templates/new", data=form()).status_code == 400
    assert operator_client.post("/templates/preview", data=form(), headers={"HX-Request": "true"}).status_code == 400
    assert session.scalars(select(Template)).all() == []


def test_an_unknown_variable_is_refused_next_to_the_text(
    operator_client: FlaskClient, session: Session, shop: dict[str, Any]
) -> None:
    response = save(operator_client, form(text="您好${coupon_code}，欢迎回来"))
    assert response.status_code == 422
    page = text(response)
    error = page[page.index('id="text-error"'):]
    assert error.startswith('id="text-error" class="field-error">未知变量 ${coupon_code}')
    assert 'aria-invalid="true"' in page and "您好${coupon_code}，欢迎回来" in page  # what was typed is kept
    assert session.scalars(select(Template)).all() == []


def test_a_name_is_unique_in_the_shop(operator_client: FlaskClient, session: Session, shop: dict[str, Any]) -> None:
    save(operator_client, form())
    response = save(operator_client, form(text="第二个"))
    assert response.status_code == 422
    assert "已有名为 发货提醒 的模板" in text(response)
    assert len(session.scalars(select(Template)).all()) == 1


def test_editing_and_deleting(operator_client: FlaskClient, session: Session, shop: dict[str, Any]) -> None:
    save(operator_client, form())
    template = session.scalars(select(Template)).one()
    assert save(operator_client, form(kind="marketing", text="${name}，新品上市"),
                url=f"/templates/{template.id}").status_code == 302
    session.rollback()  # end the read transaction: see what the app committed since
    assert (template.kind, template.text) == ("marketing", "${name}，新品上市")
    token = page_token(operator_client, "/templates/")
    assert operator_client.post(f"/templates/{template.id}/delete", data={"csrf_token": token}).status_code == 302
    session.rollback()
    assert session.scalars(select(Template)).all() == []
    actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-3:] == ["template.create", "template.update", "template.delete"]


def test_the_aliyun_binding_maps_params_to_known_variables(
    operator_client: FlaskClient, session: Session, shop: dict[str, Any]
) -> None:
    refused = save(operator_client, form(gateway_template_code="SMS_154950909",
                                         gateway_params="name = ${nickname}\ncode = ${coupon}"))
    assert refused.status_code == 422
    assert "网关参数 code 对应的 ${coupon} 不是已知变量" in text(refused)
    assert save(operator_client, form(gateway_template_code="SMS_154950909",
                                      gateway_params="name = ${nickname}\nshop: shop")).status_code == 302
    template = session.scalars(select(Template)).one()
    assert template.gateway_template_code == "SMS_154950909"
    assert template.gateway_params == {"name": "${nickname}", "shop": "${shop}"}
    editor = text(operator_client.get(f"/templates/{template.id}"))
    assert "name = ${nickname}\nshop = ${shop}" in editor


def test_the_editor_lists_the_variables_to_insert(operator_client: FlaskClient, shop: dict[str, Any]) -> None:
    page = text(operator_client.get("/templates/new"))
    assert 'data-insert="${nickname}"' in page and "tb_zhangwei88" in page and "买家平台昵称" in page
    assert 'hx-post="/templates/preview"' in page and "delay:400ms" in page


def test_the_preview_renders_a_real_customer(operator_client: FlaskClient, shop: dict[str, Any]) -> None:
    response = preview(operator_client, form(kind="marketing", customer_q="tb_wang"))
    assert response.status_code == 200
    page = text(response)
    sent = f"【{SIGNATURE}】亲爱的tb_wang_xiaoming，您的宝贝已发货，请留意查收！ {OPT_OUT_TEXT}"
    assert f'<p class="sms-bubble" id="preview-customer">{sent}</p>' in page
    assert f"{len(sent)} 个字符，计费 {parts(len(sent))} 条" in page
    assert "138****5678" in page and "13812345678" not in page  # an operator sees masked mobiles


def test_a_long_message_bills_several_parts(operator_client: FlaskClient, shop: dict[str, Any]) -> None:
    body = "${nickname}您好，" + "春季新品全场八折，会员再享双倍积分。" * 4
    page = text(preview(operator_client, form(kind="marketing", text=body, customer_id=str(shop["li"]))))
    sent = f"【{SIGNATURE}】" + body.replace("${nickname}", "tb_li") + f" {OPT_OUT_TEXT}"
    assert parts(len(sent)) == 2
    assert f"{len(sent)} 个字符，计费 2 条" in page


def test_the_cost_uses_the_channels_price_per_part(
    operator_client: FlaskClient, session: Session, config: Config, shop: dict[str, Any]
) -> None:
    assert channel_settings.save(session, config, "sms_mock", shop["id"], {"price_per_part": "0.05"}) == []
    session.commit()
    page = text(preview(operator_client, form(recipients="2000")))
    example = f"【{SIGNATURE}】" + BODY.replace("${nickname}", "tb_zhangwei88")
    expected = 0.05 * parts(len(example)) * 2000
    assert f"预计发送给 2,000 位收件人的费用（每条 ¥0.05）：¥{expected:.2f}" in page
    default = text(preview(operator_client, form(channel="", recipients="1000")))
    assert f"¥{0.045 * parts(len(example)) * 1000:.2f}" in default


def test_the_preview_shows_an_unknown_variable(operator_client: FlaskClient, shop: dict[str, Any]) -> None:
    page = text(preview(operator_client, form(text="您好${vip_level}")))
    assert "未知变量 ${vip_level}" in page


def test_template_text_is_escaped(operator_client: FlaskClient, session: Session, shop: dict[str, Any]) -> None:
    script = "<script>alert(1)</script>${nickname}"
    assert save(operator_client, form(text=script)).status_code == 302
    template = session.scalars(select(Template)).one()
    for page in (text(operator_client.get("/templates/")), text(operator_client.get(f"/templates/{template.id}")),
                 text(preview(operator_client, form(text=script, customer_q="tb_wang")))):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_customer_picker_finds_by_id_nick_or_mobile_digits(
    operator_client: FlaskClient, shop: dict[str, Any]
) -> None:
    by_digits = text(operator_client.get("/templates/customers?customer_q=5678"))
    assert "tb_wang_xiaoming" in by_digits and "138****5678" in by_digits and "tb_li" not in by_digits
    by_id = text(operator_client.get(f"/templates/customers?customer_q=%23{shop['li']}"))
    assert "tb_li" in by_id and "tb_wang" not in by_id
    by_nick = text(operator_client.get("/templates/customers?customer_q=tb_l"))
    assert f'value="{shop["li"]}"' in by_nick
    nobody = text(operator_client.get("/templates/customers?customer_q=nobody"))
    assert "没有与 nobody 相符的顾客" in nobody


def test_another_shops_template_is_not_found(operator_client: FlaskClient, session: Session,
                                             shop: dict[str, Any]) -> None:
    from shopcrm.models import Shop

    other = Shop(name="别家", sms_signature="别家")
    session.add(other)
    session.flush()
    session.add(Template(shop_id=other.id, name="x", text="hi", gateway_params={}))
    session.commit()
    template = session.scalars(select(Template)).one()
    assert operator_client.get(f"/templates/{template.id}").status_code == 404


def test_the_preview_shows_an_emails_subject_filled(viewer_client: FlaskClient) -> None:
    page = text(preview(viewer_client, form(channel="email_smtp", subject="${nickname}，新品到店")))
    shown = re.search(r'id="preview-subject">(.*?)</p>', page)
    assert shown and "tb_zhangwei88，新品到店" in shown.group(1)
    assert 'id="preview-subject"' not in text(preview(viewer_client, form(subject="${nickname}，新品到店")))  # SMS
