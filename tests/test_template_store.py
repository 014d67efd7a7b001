"""Template CRUD: checked before anything is written, gateway params mapped to known variables."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm.models import AuditLog, Customer, Shop, Template, User
from shopcrm.template_store import (TemplateData, delete_template, gateway_values, get_template, list_templates,
                                    params_text, parse_params, save_template)
from shopcrm.variables import RenderContext


@pytest.fixture
def shop_id(session: Session) -> int:
    shop = Shop(name="小满", sms_signature="小满生活")
    session.add(shop)
    session.flush()
    return shop.id


def data(**overrides: object) -> TemplateData:
    values: dict[str, object] = {"name": "发货提醒", "text": "${name}，您的宝贝已发货", "kind": "notification",
                                 "channel": "sms_mock"}
    values.update(overrides)
    return TemplateData(**values)  # type: ignore[arg-type]


def test_a_valid_template_is_saved_and_found(session: Session, shop_id: int) -> None:
    result = save_template(session, shop_id, data(name="  发货提醒 "))
    assert result.ok and result.template is not None
    assert result.template.name == "发货提醒"
    assert get_template(session, shop_id, result.template.id) is result.template
    assert get_template(session, shop_id + 1, result.template.id) is None
    assert [t.name for t in list_templates(session, shop_id)] == ["发货提醒"]


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"text": "您好${coupon}"}, "text", "Unknown variable ${coupon}"),
    ({"text": "您好${name"}, "text", "A placeholder is not closed"),
    ({"text": "  "}, "text", "Write the message text."),
    ({"name": ""}, "name", "Give the template a name."),
    ({"kind": "spam"}, "kind", "Choose marketing or notification."),
    ({"channel": "carrier_pigeon"}, "channel", "No channel named carrier_pigeon"),
    ({"gateway_template_code": "SMS_1", "gateway_params": {"code": "${coupon}"}}, "gateway_params",
     "The gateway param code maps to ${coupon}, which is not a known variable"),
    ({"gateway_template_code": "SMS_1", "gateway_params": {"bad-name": "${name}"}}, "gateway_params",
     "The gateway param bad-name is not a valid name"),
    ({"gateway_params": {"name": "${name}"}}, "gateway_params", "Enter the gateway's template code"),
])
def test_problems_are_reported_by_field_and_nothing_is_written(
    session: Session, shop_id: int, overrides: dict[str, object], field: str, message: str
) -> None:
    result = save_template(session, shop_id, data(**overrides))
    assert not result.ok and result.template is None
    assert result.errors[field].startswith(message), result.errors
    assert session.scalars(select(Template)).all() == []


def test_names_are_unique_per_shop(session: Session, shop_id: int) -> None:
    first = save_template(session, shop_id, data())
    assert "name" in save_template(session, shop_id, data()).errors
    assert first.template is not None
    assert save_template(session, shop_id, data(text="改过"), first.template.id).ok  # its own name is fine
    other = Shop(name="别家", sms_signature="别家")
    session.add(other)
    session.flush()
    assert save_template(session, other.id, data()).ok


def test_updating_another_shops_template_is_a_lookup_error(session: Session, shop_id: int) -> None:
    saved = save_template(session, shop_id, data()).template
    assert saved is not None
    with pytest.raises(LookupError):
        save_template(session, shop_id + 1, data(), saved.id)


def test_params_are_stored_as_placeholders_and_filled_per_customer(session: Session, shop_id: int) -> None:
    params, bad = parse_params("name = ${nickname}\nshop: shop\n\nnonsense")
    assert params == {"name": "${nickname}", "shop": "shop"} and bad == ["nonsense"]
    result = save_template(session, shop_id, data(gateway_template_code=" SMS_154950909 ", gateway_params=params))
    template = result.template
    assert template is not None
    assert template.gateway_template_code == "SMS_154950909"
    assert template.gateway_params == {"name": "${nickname}", "shop": "${shop}"}
    assert params_text(template.gateway_params) == "name = ${nickname}\nshop = ${shop}"
    customer = Customer(shop_id=shop_id, identity="tb_wang", platform_id="tb_wang", name="王小明")
    session.add(customer)
    session.flush()
    ctx = RenderContext(session=session, shop_id=shop_id, customer_id=customer.id)
    assert gateway_values(template, ctx) == {"name": "tb_wang", "shop": "小满"}


def test_saves_and_deletions_are_audited(session: Session, shop_id: int) -> None:
    actor = User(username="ops", password_hash="x", role="operator")
    session.add(actor)
    session.flush()
    template = save_template(session, shop_id, data(), actor=actor, ip="10.0.0.1").template
    assert template is not None
    save_template(session, shop_id, data(text="${name}，已发货"), template.id, actor=actor)
    delete_template(session, template, actor=actor)
    session.flush()
    assert session.scalars(select(Template)).all() == []
    actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["template.create", "template.update", "template.delete"]
