"""The automations page: every trigger listed with its switch, who may switch and change them,
CSRF, the audit log, refused settings, the live preview and the figures shown."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from shopcrm.db import utcnow
from shopcrm.models import AuditLog, Automation, Message, Order
from shopcrm.registry import get_registry
from shopcrm.shops import default_shop
from web_support import make_customer, page_token, text

URL = "/automations/"


@pytest.fixture
def shop_id(session: Session) -> int:
    shop = default_shop(session)
    shop.sms_signature = "小满生活"
    session.commit()
    return shop.id


@pytest.fixture
def operator_client(login_as, operator) -> FlaskClient:
    return login_as(operator)


@pytest.fixture
def viewer_client(login_as, viewer) -> FlaskClient:
    return login_as(viewer)


def settings(**overrides: str) -> dict[str, str]:
    return {"delay": "0", "channel": "sms_mock", "night": "send",
            "template_text": "亲，您的订单${order_id}已付款成功，感谢支持！", **overrides}


def post(client: FlaskClient, url: str, data: dict[str, str]) -> TestResponse:
    return client.post(url, data={**data, "csrf_token": page_token(client, URL)})


def automation(session: Session, shop_id: int, name: str) -> Automation | None:
    session.rollback()  # end the read transaction: see what the app committed since
    return session.scalar(select(Automation).where(Automation.shop_id == shop_id, Automation.trigger == name))


def audits(session: Session, action: str) -> list[AuditLog]:
    session.rollback()
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_the_page_needs_a_log_in(client: FlaskClient) -> None:
    assert client.get(URL).status_code == 302
    assert client.get("/automations/paid_thanks").status_code == 302


def test_every_trigger_of_every_plugin_is_listed_with_its_switch(viewer_client: FlaskClient, shop_id: int) -> None:
    page = text(viewer_client.get(URL))
    for name in get_registry().triggers.items:
        assert f'id="automation-{name}" data-enabled="off"' in page, name
        assert f'href="/automations/{name}"' in page
    assert "自动关怀" in page  # the menu entry, in Chinese
    assert "设置并开启" not in page and "<form" not in page.split('id="automations"')[1].split("</table>")[0]


def test_viewers_read_but_may_not_switch_or_change(viewer_client: FlaskClient, session: Session,
                                                   shop_id: int) -> None:
    page = text(viewer_client.get("/automations/paid_thanks"))
    assert 'id="save-automation"' not in page and "${order_id}" in page
    assert 'action="/automations/paid_thanks/off"' not in page
    assert post(viewer_client, "/automations/paid_thanks", settings()).status_code == 403
    assert post(viewer_client, "/automations/paid_thanks/off", {}).status_code == 403
    assert automation(session, shop_id, "paid_thanks") is None


def test_an_unknown_trigger_is_not_found(viewer_client: FlaskClient, shop_id: int) -> None:
    assert viewer_client.get("/automations/no_such_trigger").status_code == 404


def test_posts_without_the_csrf_token_are_refused(operator_client: FlaskClient, session: Session,
                                                  shop_id: int) -> None:
    assert operator_client.post("/automations/paid_thanks", data=settings()).status_code == 400
    assert operator_client.post("/automations/paid_thanks/preview", data=settings(),
                                headers={"HX-Request": "true"}).status_code == 400
    assert automation(session, shop_id, "paid_thanks") is None


def test_an_operator_switches_on_changes_and_switches_off_each_audited(
        operator_client: FlaskClient, operator, session: Session, shop_id: int) -> None:
    response = post(operator_client, "/automations/paid_thanks", settings(delay="1h30m"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/automations/paid_thanks")
    made = automation(session, shop_id, "paid_thanks")
    assert made is not None and made.enabled and made.channel == "sms_mock" and made.delay_seconds == 5400
    assert made.options["night"] == "send" and "${order_id}" in made.template_text
    [entry] = audits(session, "automation.enable")
    assert (entry.user_id, entry.target) == (operator.id, "automation:paid_thanks")
    assert entry.details["delay"] == "1h30m" and entry.details["channel"] == "sms_mock"
    page = text(operator_client.get(URL))
    assert 'id="automation-paid_thanks" data-enabled="on"' in page

    post(operator_client, "/automations/paid_thanks", settings(delay="2h", night="defer"))
    made = automation(session, shop_id, "paid_thanks")
    assert made is not None and made.delay_seconds == 7200 and made.options["night"] == "defer"
    [change] = audits(session, "automation.update")
    assert change.details["delay"] == "2h"

    response = post(operator_client, "/automations/paid_thanks/off", {"next": "index"})
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    made = automation(session, shop_id, "paid_thanks")
    assert made is not None and not made.enabled
    [off] = audits(session, "automation.disable")
    assert (off.user_id, off.target) == (operator.id, "automation:paid_thanks")
    assert 'id="automation-paid_thanks" data-enabled="off"' in text(operator_client.get(URL))


def test_switching_back_on_from_the_list_keeps_the_saved_settings(
        operator_client: FlaskClient, session: Session, shop_id: int) -> None:
    post(operator_client, "/automations/shipped", settings(delay="45m", template_text="已发货：${items}",
                                                          subject="${nickname}，已发货"))
    post(operator_client, "/automations/shipped/off", {})
    page = text(operator_client.get(URL))
    row = page[page.index('id="automation-shipped"'):]
    row = row[:row.index("</tr>")]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', row))
    assert fields["delay"] == "45m" and fields["template_text"] == "已发货：${items}"
    assert fields["subject"] == "${nickname}，已发货"
    response = operator_client.post("/automations/shipped", data=fields)
    assert response.status_code == 302
    made = automation(session, shop_id, "shipped")
    assert made is not None and made.enabled and made.delay_seconds == 2700 and made.template_text == "已发货：${items}"
    assert made.subject == "${nickname}，已发货"


def test_the_subject_is_shown_for_email_channels_and_checked_like_the_text(
        operator_client: FlaskClient, session: Session, shop_id: int) -> None:
    page = text(operator_client.get("/automations/shipped"))
    block = re.search(r'<div id="subject-field" data-subject-channels="([^"]*)"\s*(hidden)?', page)
    assert block and "email_smtp" in block.group(1).split() and "sms_mock" not in block.group(1).split()
    assert block.group(2) == "hidden"  # no channel chosen yet
    refused = post(operator_client, "/automations/shipped",
                   settings(channel="email_smtp", subject="${coupon}到账"))
    assert refused.status_code == 422
    page = text(refused)
    assert 'id="subject-error"' in page and "${coupon}" in page[page.index('id="subject-error"'):]
    assert automation(session, shop_id, "shipped") is None
    saved = post(operator_client, "/automations/shipped", settings(channel="email_smtp", subject="${nickname}，已发货"))
    assert saved.status_code == 302
    made = automation(session, shop_id, "shipped")
    assert made is not None and made.subject == "${nickname}，已发货"
    shown = re.search(r'<div id="subject-field" [^>]*>', text(operator_client.get("/automations/shipped")))
    assert shown and "hidden" not in shown.group(0)
    assert [a.details["subject"] for a in audits(session, "automation.enable")] == ["${nickname}，已发货"]


def test_the_preview_fills_the_subject_of_an_email(operator_client: FlaskClient, shop_id: int) -> None:
    fields = settings(channel="email_smtp", subject="${nickname}，已发货", template_text="${nickname}您好")
    page = text(post(operator_client, "/automations/shipped/preview", fields))
    shown = re.search(r'id="preview-subject">(.*?)</p>', page)
    assert shown and "tb_zhangwei88，已发货" in shown.group(1)
    wrong = text(post(operator_client, "/automations/shipped/preview", {**fields, "subject": "${coupon}"}))
    assert 'id="preview-subject-error"' in wrong and "${coupon}" in wrong and 'id="preview-example"' in wrong


def test_switching_off_cancels_the_messages_not_sent_yet(operator_client: FlaskClient, session: Session,
                                                         shop_id: int) -> None:
    post(operator_client, "/automations/paid_thanks", settings())
    made = automation(session, shop_id, "paid_thanks")
    assert made is not None
    session.add(Message(shop_id=shop_id, automation_id=made.id, dedupe_key="order:1", channel="sms_mock",
                        to="13800000001", text="t", is_marketing=False, status="pending"))
    session.commit()
    post(operator_client, "/automations/paid_thanks/off", {})
    session.rollback()
    assert session.scalar(select(Message.skip_reason).where(Message.automation_id == made.id)) == "cancelled"


def test_an_unknown_variable_is_refused_with_its_name_and_nothing_is_saved(
        operator_client: FlaskClient, session: Session, shop_id: int) -> None:
    response = post(operator_client, "/automations/paid_thanks",
                    settings(template_text="亲，送您${coupon}一张，订单${order_id}"))
    assert response.status_code == 422
    page = text(response)
    assert 'id="template_text-error"' in page and "${coupon}" in page[page.index('id="template_text-error"'):]
    assert "亲，送您${coupon}一张" in page  # what was typed is kept
    assert automation(session, shop_id, "paid_thanks") is None
    assert not audits(session, "automation.enable")


@pytest.mark.parametrize(("field", "value"), [("delay", "soon"), ("delay", "31d"), ("channel", "pigeon"),
                                              ("night", "maybe"), ("template_text", "")])
def test_bad_settings_are_refused_next_to_their_field(operator_client: FlaskClient, session: Session,
                                                      shop_id: int, field: str, value: str) -> None:
    response = post(operator_client, "/automations/unpaid_reminder", settings(**{field: value}))
    assert response.status_code == 422
    assert f'id="{field}-error"' in text(response)
    assert automation(session, shop_id, "unpaid_reminder") is None


def test_a_triggers_own_option_is_set_and_checked(operator_client: FlaskClient, session: Session,
                                                  shop_id: int) -> None:
    page = text(operator_client.get("/automations/repurchase"))
    assert 'name="option_days" value="30"' in page
    refused = post(operator_client, "/automations/repurchase", settings(option_days="0"))
    assert refused.status_code == 422 and 'id="option_days-error"' in text(refused)
    post(operator_client, "/automations/repurchase", settings(option_days="45", night="defer"))
    made = automation(session, shop_id, "repurchase")
    assert made is not None and made.enabled and made.options["days"] == 45


def test_the_preview_shows_the_message_as_sent_or_the_unknown_variable(
        operator_client: FlaskClient, shop_id: int) -> None:
    token = page_token(operator_client, URL)
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    shown = text(operator_client.post("/automations/paid_thanks/preview", headers=headers,
                                      data={"template_text": "订单${order_id}已付款", "channel": "sms_mock"}))
    assert re.search(r'id="preview-example">【小满生活】订单\d+已付款</p>', shown)
    refused = text(operator_client.post("/automations/paid_thanks/preview", headers=headers,
                                        data={"template_text": "送您${coupon}", "channel": "sms_mock"}))
    assert 'id="preview-error"' in refused and "${coupon}" in refused


def test_the_detail_page_has_the_variables_and_the_default_template(viewer_client: FlaskClient,
                                                                    shop_id: int) -> None:
    page = text(viewer_client.get("/automations/unpaid_reminder"))
    for name in get_registry().template_variables.items:
        assert 'data-insert="${' + name + '}"' in page
    assert 'name="delay" value="30m"' in page
    assert '<option value="" selected>' in page  # no gateway is picked for an automation never set up
    assert 'id="preview-example"' in page


def test_figures_are_shown_for_7_and_30_days(viewer_client: FlaskClient, session: Session, shop_id: int) -> None:
    now = utcnow()
    reminder = Automation(shop_id=shop_id, trigger="unpaid_reminder", enabled=True, enabled_at=now, channel="sms_mock",
                          template_text="x", options={})
    thanks = Automation(shop_id=shop_id, trigger="paid_thanks", enabled=True, enabled_at=now, channel="sms_mock",
                        template_text="x", options={})
    people = [make_customer(shop_id, f"c{n}", mobile=f"1380000000{n}") for n in range(3)]
    session.add_all([reminder, thanks, *people])
    session.flush()

    def order(who: Any, oid: str, created: dt.datetime, paid: dt.datetime | None, amount: str) -> Order:
        row = Order(shop_id=shop_id, customer_id=who.id, platform_order_id=oid,
                    status="paid" if paid else "pending_payment", created_at=created, paid_at=paid,
                    total_amount=Decimal(amount), paid_amount=Decimal(amount) if paid else Decimal(0))
        session.add(row)
        session.flush()
        return row

    def sent(made: Automation, who: Any, about: Order | None, at: dt.datetime, status: str = "delivered") -> None:
        session.add(Message(shop_id=shop_id, automation_id=made.id, customer_id=who.id,
                            order_id=about.id if about else None, dedupe_key=f"k{at}{who.id}", channel="sms_mock",
                            to=who.mobile, text="t", is_marketing=False, status=status, sent_at=at, gateway_id="g",
                            created_at=at))

    recent, older = now - dt.timedelta(days=2), now - dt.timedelta(days=20)
    sent(reminder, people[0], order(people[0], "r1", recent, recent + dt.timedelta(minutes=10), "99.5"), recent)
    sent(reminder, people[1], order(people[1], "r2", recent, None, "50"), recent, status="sent")
    sent(reminder, people[2], order(people[2], "r3", older, older + dt.timedelta(hours=1), "20"), older)
    sent(thanks, people[0], None, older)
    order(people[0], "again", older, older + dt.timedelta(days=1), "300")
    session.commit()

    page = text(viewer_client.get(URL))
    row = page[page.index('data-trigger="unpaid_reminder"'):]
    row = row[:row.index("</tr>")]
    cell = dict(re.findall(r'data-figure="([\w-]+)">\s*(.*?)\s*</td>', row, re.S))
    assert (cell["sent-7"], cell["delivered-7"], cell["sent-30"], cell["delivered-30"]) == ("2", "1", "3", "2")
    assert "50.0%" in cell["back-7"] and "¥99.50" in cell["back-7"]
    assert "66.7%" in cell["back-30"] and "¥119.50" in cell["back-30"]
    thanks_row = page[page.index('data-trigger="paid_thanks"'):]
    thanks_row = thanks_row[:thanks_row.index("</tr>")]
    thanks_cell = dict(re.findall(r'data-figure="([\w-]+)">\s*(.*?)\s*</td>', thanks_row, re.S))
    assert thanks_cell["sent-7"] == "0" and "¥300.00" in thanks_cell["back-30"]
    assert 'id="sent-chart"' in page and "vendor/chart.js-4.6.1/chart.umd.min.js" in page
    day = page[page.index(f'data-day="{recent.replace(tzinfo=dt.timezone.utc).astimezone(_shop_zone()).date()}"'):]
    assert re.match(r'data-day="[\d-]+"><th scope="row">[^<]+</th><td class="number">2</td><td class="number">1</td>',
                    day)

    detail = text(viewer_client.get("/automations/unpaid_reminder"))
    assert re.search(r'data-figure="recovered"><th scope="row">[^<]+</th><td class="number">1</td>'
                     r'<td class="number">2</td>', detail)


def _shop_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def test_the_page_is_in_chinese(viewer_client: FlaskClient, shop_id: int) -> None:
    page = text(viewer_client.get(URL))
    for english in ("What they brought back", "Switch on", "Set up and switch on", "As soon as", "Last 7 days"):
        assert english not in page, english
