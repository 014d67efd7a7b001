"""The default template variables give the right text for a real shop, customer and order."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from shopcrm.models import Customer, Order, Shop
from shopcrm.plugins import get_plugin_manager
from shopcrm.variables import RenderContext, TemplateVariable


@pytest.fixture
def variables(config) -> dict[str, TemplateVariable]:
    """What the ``default_variables`` plugin registers, by name."""
    plugin = get_plugin_manager().get_plugin("default_variables")
    return {variable.name: variable for variable in plugin.register_template_variables()}


@pytest.fixture
def shop_data(session: Session) -> dict[str, int]:
    """Two shops; customers with a name and a nick, a nick only, a name only; two orders.

    Committed and expunged, so the variables read what is in the database.
    """
    other = Shop(name="别家小铺")
    shop = Shop(name="小满生活旗舰店", sms_signature="小满生活")
    session.add_all([other, shop])
    session.flush()
    full = Customer(shop_id=shop.id, platform_id="tb_zhangwei88", name="张伟", mobile="13800138000")
    nick_only = Customer(shop_id=shop.id, platform_id="tb_lina")
    name_only = Customer(shop_id=shop.id, name="王芳", mobile="13900139000")
    session.add_all([full, nick_only, name_only])
    session.flush()
    created = dt.datetime(2026, 3, 1, 10, 30)
    first = Order(shop_id=shop.id, customer_id=full.id, platform_order_id="3712893019283746",
                  status="paid", paid_amount=Decimal("99.00"), created_at=created, paid_at=created)
    second = Order(shop_id=shop.id, customer_id=full.id, platform_order_id="3712893019283999",
                   status="pending_payment", created_at=created)
    session.add_all([first, second])
    session.commit()
    ids = {"shop": shop.id, "other_shop": other.id, "full": full.id, "nick_only": nick_only.id,
           "name_only": name_only.id, "first_order": first.id, "second_order": second.id}
    session.expunge_all()
    return ids


def render(variable: TemplateVariable, session: Session, shop_id: int,
           customer_id: int | None = None, order_id: int | None = None) -> str:
    return variable.value(RenderContext(session=session, shop_id=shop_id,
                                        customer_id=customer_id, order_id=order_id))


def test_the_default_variables_are_the_shop_the_customer_and_the_order(variables):
    assert list(variables) == ["shop", "name", "nickname", "city", "order_id", "items", "amount", "refund_amount",
                               "carrier", "tracking_number", "shipment"]
    for variable in variables.values():
        assert str(variable.label) and variable.example, f"{variable.name} needs a label and an example"


def test_shop_is_the_name_of_the_context_s_shop(variables, session, shop_data):
    assert render(variables["shop"], session, shop_data["shop"]) == "小满生活旗舰店"
    assert render(variables["shop"], session, shop_data["other_shop"]) == "别家小铺"


def test_shop_of_a_missing_shop_is_empty(variables, session, shop_data):
    assert render(variables["shop"], session, 999_999) == ""


def test_name_is_the_customer_s_name(variables, session, shop_data):
    assert render(variables["name"], session, shop_data["shop"], shop_data["full"]) == "张伟"


def test_name_falls_back_to_the_buyer_nick(variables, session, shop_data):
    assert render(variables["name"], session, shop_data["shop"], shop_data["nick_only"]) == "tb_lina"


def test_nickname_is_the_buyer_nick(variables, session, shop_data):
    assert render(variables["nickname"], session, shop_data["shop"], shop_data["full"]) == "tb_zhangwei88"


def test_nickname_falls_back_to_the_name(variables, session, shop_data):
    assert render(variables["nickname"], session, shop_data["shop"], shop_data["name_only"]) == "王芳"


@pytest.mark.parametrize("name", ["name", "nickname"])
def test_customer_variables_are_empty_without_a_customer(variables, session, shop_data, name):
    assert render(variables[name], session, shop_data["shop"]) == ""
    assert render(variables[name], session, shop_data["shop"], 999_999) == ""


def test_order_id_is_the_platform_order_id_of_the_context_s_order(variables, session, shop_data):
    order_id = variables["order_id"]
    shop, customer = shop_data["shop"], shop_data["full"]
    assert render(order_id, session, shop, customer, shop_data["first_order"]) == "3712893019283746"
    assert render(order_id, session, shop, customer, shop_data["second_order"]) == "3712893019283999"


def test_order_id_is_empty_when_the_message_is_not_about_an_order(variables, session, shop_data):
    assert render(variables["order_id"], session, shop_data["shop"], shop_data["full"]) == ""
    assert render(variables["order_id"], session, shop_data["shop"], shop_data["full"], 999_999) == ""


def test_items_amount_and_refund_describe_the_context_s_order(variables, session, shop_data):
    from shopcrm.models import OrderItem

    session.add_all([OrderItem(order_id=shop_data["first_order"], title="加绒连帽卫衣（冬季款）超厚保暖男女同款宽松版", quantity=2),
                     OrderItem(order_id=shop_data["first_order"], title="袜子", quantity=1),
                     OrderItem(order_id=shop_data["second_order"], title="保温杯", quantity=1)])
    session.commit()
    shop, customer = shop_data["shop"], shop_data["full"]
    first, second = shop_data["first_order"], shop_data["second_order"]
    assert render(variables["items"], session, shop, customer, first) == "加绒连帽卫衣（冬季款）超厚保暖男女同款…等3件"
    assert render(variables["items"], session, shop, customer, second) == "保温杯"
    assert render(variables["amount"], session, shop, customer, first) == "99.00"
    assert render(variables["refund_amount"], session, shop, customer, first) == "99.00"
    for name in ("items", "amount", "refund_amount"):
        assert render(variables[name], session, shop, customer) == ""


def test_city_is_the_customer_s_city_else_province(variables, session, shop_data):
    from sqlalchemy import update

    session.execute(update(Customer).where(Customer.id == shop_data["full"]).values(province="浙江省", city=None))
    session.commit()
    assert render(variables["city"], session, shop_data["shop"], shop_data["full"]) == "浙江省"
    assert render(variables["city"], session, shop_data["shop"]) == ""


def test_the_parcel_variables_name_the_courier_and_waybill_and_vanish_when_unknown(variables, session, shop_data):
    from sqlalchemy import update

    session.execute(update(Order).where(Order.id == shop_data["first_order"])
                    .values(carrier="中通快递", tracking_number="73512345678901"))
    session.execute(update(Order).where(Order.id == shop_data["second_order"]).values(tracking_number="SF1002"))
    session.commit()
    shop, customer = shop_data["shop"], shop_data["full"]
    first, second = shop_data["first_order"], shop_data["second_order"]
    assert render(variables["carrier"], session, shop, customer, first) == "中通快递"
    assert render(variables["tracking_number"], session, shop, customer, first) == "73512345678901"
    assert render(variables["shipment"], session, shop, customer, first) == "（中通快递 73512345678901）"
    assert render(variables["shipment"], session, shop, customer, second) == "（SF1002）"
    assert render(variables["carrier"], session, shop, customer, second) == ""
    for name in ("carrier", "tracking_number", "shipment"):
        assert render(variables[name], session, shop, customer) == ""
