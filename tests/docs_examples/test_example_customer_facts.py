"""The template-variable example: ${province} and ${orders} render in a template, for one
customer (a preview) and for a campaign's whole batch."""
from __future__ import annotations

from decimal import Decimal
from typing import Callable

from sqlalchemy.orm import Session

from shopcrm import sending_policy
from shopcrm.config import Config
from shopcrm.message_text import Source, fill
from shopcrm.models import Customer, Shop
from shopcrm.registry import get_registry
from shopcrm.template_preview import preview

TEMPLATE = "${name}，${province}的老朋友，感谢您第${orders}次光临"


def test_the_variables_render_for_a_customer_and_a_batch(load_examples: Callable[..., None], config: Config,
                                                         session: Session) -> None:
    load_examples("customer_facts")
    assert get_registry().template_variables.by_plugin("customer_facts") == ["province", "orders"]
    shop = Shop(name="店", sms_signature="小店")
    session.add(shop)
    session.flush()
    lily = Customer(shop_id=shop.id, platform_id="tb_lily", name="莉莉", province="浙江省", order_count=3,
                    total_paid=Decimal("300"))
    wei = Customer(shop_id=shop.id, platform_id="gz_wei", order_count=1)
    session.add_all([lily, wei])
    session.commit()

    shown = preview(session, config, shop.id, TEMPLATE, marketing=False, customer_id=lily.id)
    assert shown.error is None and shown.for_customer is not None
    assert shown.for_customer.text == "【小店】莉莉，浙江省的老朋友，感谢您第3次光临"
    assert "浙江省的老朋友，感谢您第3次光临" in shown.example.text  # the examples stand in for an estimate

    texts = fill(session, shop.id, Source(TEMPLATE, False), [lily.id, wei.id], sending_policy.load(session, shop.id))
    assert {customer_id: filled.text for customer_id, filled in texts.items()} == {
        lily.id: "【小店】莉莉，浙江省的老朋友，感谢您第3次光临",
        wei.id: "【小店】gz_wei，的老朋友，感谢您第1次光临",  # no province known: empty
    }
