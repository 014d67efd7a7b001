"""The campaign pages: the list, the wizard, sending through the sandbox, the report, cancelling,
the CSV exports and the sending rules, by role, with CSRF on every post.

Jobs run in-process (no Redis): a test waits for the ``campaign.send`` job, then sends the
outbox itself with :func:`shopcrm.dispatch.drain`, as ``shopcrm campaign send --wait`` does.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopcrm.campaign_audience import bucket_of
from shopcrm.campaigns import create
from shopcrm.config import Config
from shopcrm.db import session_scope, utcnow
from shopcrm.dispatch import drain
from shopcrm.jobs import wait_for
from shopcrm.models import AuditLog, Campaign, Customer, Message, OptOut, Order, Segment, Template, User
from shopcrm.sending_policy import load as load_policy
from shopcrm.sending_policy import save as save_policy
from shopcrm.shops import default_shop
from web_support import csrf_token, make_customer, page_token, text

SIGNATURE = "测试店"
REACHABLE = 10
"""Customers with a valid mobile, one of them opted out; two more have no usable number."""
PRICE = Decimal("0.045")


@pytest.fixture
def shop_data(session: Session) -> dict[str, int]:
    """A signed shop without quiet hours, its customers, a segment of them all and a template."""
    shop = default_shop(session)
    shop.sms_signature = SIGNATURE
    for i in range(REACHABLE):
        session.add(make_customer(shop.id, f"buyer{i}", mobile=f"1380000{i:04d}", mobile_tail=f"{i:04d}",
                                  sms_reachable=True, order_count=i % 3))
    session.add(make_customer(shop.id, "nomobile", order_count=1))
    session.add(make_customer(shop.id, "badmobile", mobile="12345", sms_reachable=False, order_count=1))
    session.add(OptOut(shop_id=shop.id, channel="sms_mock", mobile="13800000003", source="reply"))
    segment = Segment(shop_id=shop.id, name="全部客户", rules={"all": []})
    template = Template(shop_id=shop.id, name="双十一", text="${name}您好，双十一全场五折")
    session.add_all([segment, template])
    _policy, errors = save_policy(session, shop.id, {"quiet_start": 0, "quiet_end": 0})
    assert not errors
    session.commit()
    return {"shop": shop.id, "segment": segment.id, "template": template.id}


def wizard(segment_id: int, **fields: object) -> dict[str, object]:
    data: dict[str, object] = {"name": "双十一预热", "segment_id": segment_id, "template_id": "",
                               "text": "${name}您好，双十一全场五折", "channel": "sms_mock",
                               "control_percent": 0, "send_mode": "now", "send_at": ""}
    data.update(fields)
    return data


def campaigns(session: Session) -> list[Campaign]:
    session.rollback()  # see what the app committed since
    return list(session.scalars(select(Campaign).order_by(Campaign.id)))


def send_through_pages(client: FlaskClient, config: Config, data: dict[str, object]) -> tuple[int, int]:
    """Review, confirm and send a campaign; the campaign's id and its job's, once the job ran."""
    token = page_token(client, "/campaigns/new")
    review = client.post("/campaigns/new", data={**data, "csrf_token": token})
    assert review.status_code == 200, text(review)
    page = text(review)
    assert 'id="confirm-form"' in page
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page))
    response = client.post("/campaigns/", data=hidden)
    assert response.status_code == 302, text(response)
    location = urlsplit(response.headers["Location"])
    campaign_id = int(location.path.rstrip("/").split("/")[-1])
    job_id = int(parse_qs(location.query)["job"][0])
    assert wait_for(job_id, config, timeout=30)["status"] == "finished"
    return campaign_id, job_id


def settle(config: Config, campaign_id: int) -> None:
    """Send the outbox in this process until the campaign has nothing waiting."""

    def settled() -> bool:
        with session_scope(config) as session:
            return not session.scalar(select(func.count()).select_from(Message).where(
                Message.campaign_id == campaign_id, Message.status.in_(("pending", "sending"))))

    drain(config, settled, timeout=30)


def figure(page: str, key: str) -> str:
    found = re.search(rf'<tr data-figure="{key}">\s*<th scope="row">[^<]*</th>\s*'
                      rf'<td class="number" data-value="([^"]*)"', page)
    assert found, key
    return found.group(1)


# --- roles and CSRF -----------------------------------------------------------------------------


def test_the_menu_lists_campaigns(login_as: Callable[[User], FlaskClient], viewer: User) -> None:
    page = text(login_as(viewer).get("/"))
    assert '<a href="/campaigns/">营销活动</a>' in page


def test_viewers_read_campaigns_but_cannot_create_send_cancel_or_export(
    login_as: Callable[[User], FlaskClient], viewer: User, session: Session, shop_data: dict[str, int]
) -> None:
    made = create(session, shop_data["shop"], "老客回访", "sms_mock", "您好", segment_id=shop_data["segment"])
    session.commit()
    client = login_as(viewer)
    listing = text(client.get("/campaigns/"))
    assert "老客回访" in listing and "草稿" in listing
    assert "/campaigns/new" not in listing
    page = client.get(f"/campaigns/{made.id}")
    assert page.status_code == 200
    assert "立即发送" not in text(page) and "取消活动" not in text(page)
    token = csrf_token(text(page))
    assert client.get("/campaigns/new").status_code == 403
    for url in ["/campaigns/new", "/campaigns/", "/campaigns/preview", "/campaigns/audience",
                f"/campaigns/{made.id}/send", f"/campaigns/{made.id}/cancel",
                f"/campaigns/{made.id}/report.csv", f"/campaigns/{made.id}/recipients.csv",
                "/campaigns/sending-rules"]:
        response = client.post(url, data={**wizard(shop_data["segment"]), "csrf_token": token})
        assert response.status_code == 403, url
    assert [c.status for c in campaigns(session)] == ["draft"]


def test_posts_without_the_csrf_token_are_refused(
    login_as: Callable[[User], FlaskClient], operator: User, session: Session, shop_data: dict[str, int]
) -> None:
    made = create(session, shop_data["shop"], "老客回访", "sms_mock", "您好", segment_id=shop_data["segment"])
    session.commit()
    client = login_as(operator)
    assert client.post("/campaigns/", data=wizard(shop_data["segment"])).status_code == 400
    assert client.post(f"/campaigns/{made.id}/send").status_code == 400
    assert client.post(f"/campaigns/{made.id}/cancel", data={"csrf_token": "forged"}).status_code == 400
    assert client.post("/campaigns/preview", data=wizard(shop_data["segment"]),
                       headers={"HX-Request": "true"}).status_code == 400
    assert [c.status for c in campaigns(session)] == ["draft"]


# --- the wizard ---------------------------------------------------------------------------------


def test_the_wizard_shows_the_segments_count_and_the_sms_as_sent(
    login_as: Callable[[User], FlaskClient], operator: User, shop_data: dict[str, int]
) -> None:
    client = login_as(operator)
    page = text(client.get(f"/campaigns/new?segment={shop_data['segment']}"))
    assert "1. 目标客户" in page and "2. 短信内容" in page and "3. 排除、对照组与发送时间" in page
    assert 'data-count="12"' in page  # every customer: the exclusions come when it is sent
    assert "每位客户 7 天内最多收到 2 条营销短信" in page
    token = csrf_token(page)
    fragment = text(client.post("/campaigns/preview", data={**wizard(shop_data["segment"]), "csrf_token": token},
                                headers={"HX-Request": "true"}))
    assert "<html" not in fragment
    sms = "【测试店】张伟您好，双十一全场五折 拒收请回复R"
    assert sms in fragment
    assert f'<dd id="sms-characters">{len(sms)}</dd>' in fragment and '<dd id="sms-parts">1</dd>' in fragment
    assert f'<dd id="sms-cost">¥{PRICE * 12:.2f}</dd>' in fragment
    counted = text(client.post("/campaigns/audience", data={"segment_id": shop_data["segment"], "csrf_token": token},
                               headers={"HX-Request": "true"}))
    assert 'data-count="12"' in counted and "全部客户" in counted


def test_a_saved_template_is_sent_when_no_text_is_written(
    login_as: Callable[[User], FlaskClient], operator: User, shop_data: dict[str, int], session: Session
) -> None:
    notice = Template(shop_id=shop_data["shop"], name="发货通知", kind="notification", text="您的订单已发货")
    session.add(notice)
    session.commit()
    client = login_as(operator)
    page = text(client.get("/campaigns/new"))
    assert f'<option value="{shop_data["template"]}">双十一</option>' in page
    assert "发货通知" not in page  # order notices are not campaigns
    token = csrf_token(page)
    data = wizard(shop_data["segment"], text="", template_id=shop_data["template"])
    fragment = text(client.post("/campaigns/preview", data={**data, "csrf_token": token}))
    assert "【测试店】张伟您好，双十一全场五折 拒收请回复R" in fragment
    review = client.post("/campaigns/new", data={**data, "csrf_token": token})
    assert review.status_code == 200
    assert "已保存模板 双十一" in text(review)


def test_an_unknown_variable_is_refused_and_named(
    login_as: Callable[[User], FlaskClient], operator: User, shop_data: dict[str, int], session: Session
) -> None:
    client = login_as(operator)
    token = page_token(client, "/campaigns/new")
    data = wizard(shop_data["segment"], text="${name}您好，领取${coupon}")
    for url in ("/campaigns/new", "/campaigns/"):
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 422, url
        page = text(response)
        assert "未知变量：${coupon}。可用的变量：" in page and "${name}" in page
        assert 'aria-invalid="true"' in page
    fragment = text(client.post("/campaigns/preview", data={**data, "csrf_token": token}))
    assert 'id="message-error"' in fragment and "${coupon}" in fragment
    assert campaigns(session) == []


def test_the_wizard_says_what_is_missing(
    login_as: Callable[[User], FlaskClient], operator: User, shop_data: dict[str, int], session: Session
) -> None:
    client = login_as(operator)
    token = page_token(client, "/campaigns/new")
    data = wizard("None", name="", text="", control_percent=60, send_mode="later", send_at="")
    page = text(client.post("/campaigns/new", data={**data, "csrf_token": token}))
    for message in ("请为活动命名。", "请选择要发送的分群。", "请填写短信内容或选择已保存的模板。",
                    "请输入 0 到 50 之间的比例。", "请选择发送的日期和时间。"):
        assert message in page, message
    assert campaigns(session) == []


def test_a_campaign_set_for_later_is_scheduled_on_the_shops_clock(
    login_as: Callable[[User], FlaskClient], operator: User, shop_data: dict[str, int], session: Session
) -> None:
    client = login_as(operator)
    token = page_token(client, "/campaigns/new")
    local = (utcnow() + dt.timedelta(days=2)).replace(hour=10, minute=30, second=0, microsecond=0)
    data = wizard(shop_data["segment"], send_mode="later", send_at=local.strftime("%Y-%m-%dT%H:%M"))
    review = text(client.post("/campaigns/new", data={**data, "csrf_token": token}))
    assert f"店铺时间 {local:%Y-%m-%d %H:%M}" in review and ">定时发送<" in review
    response = client.post("/campaigns/", data={**data, "csrf_token": token})
    assert response.status_code == 302
    [made] = campaigns(session)
    assert made.status == "scheduled"
    assert made.scheduled_at == local - dt.timedelta(hours=8)  # Asia/Shanghai
    past = wizard(shop_data["segment"], send_mode="later", send_at="2020-01-01T10:00")
    assert "请选择将来的时间。" in text(client.post("/campaigns/new", data={**past, "csrf_token": token}))


# --- sending, the report, cancelling ------------------------------------------------------------


def test_a_campaign_sent_through_the_pages_reaches_the_sandbox_and_is_reported(
    login_as: Callable[[User], FlaskClient], operator: User, config: Config, session: Session,
    shop_data: dict[str, int]
) -> None:
    client = login_as(operator)
    campaign_id, job_id = send_through_pages(client, config, wizard(shop_data["segment"]))
    settle(config, campaign_id)
    # A recipient buys the day after: one buyer, 88 yuan.
    buyer = session.scalar(select(Message.customer_id).where(Message.campaign_id == campaign_id,
                                                             Message.status == "sent").limit(1))
    session.add(Order(shop_id=shop_data["shop"], customer_id=buyer, platform_order_id="T1", status="paid",
                      total_amount=Decimal("88"), paid_amount=Decimal("88"), created_at=utcnow(),
                      paid_at=utcnow() + dt.timedelta(days=1)))
    session.commit()

    # What the shop's data says, independently of the report.
    everyone = 12
    sendable = REACHABLE - 1  # valid numbers less the opted-out one
    page = text(client.get(f"/campaigns/{campaign_id}"))
    assert figure(page, "target") == str(everyone)
    assert figure(page, "sent") == str(sendable)
    assert figure(page, "buyers") == "1"
    assert figure(page, "sales") == "88.0"
    assert figure(page, "billed_parts") == str(sendable)
    assert '<tr data-reason="invalid_number"><th scope="row">无有效手机号</th><td class="number">2</td>' in page
    assert '<tr data-reason="opted_out"><th scope="row">已退订</th><td class="number">1</td>' in page
    assert "已发送</span>" in page  # the status badge
    assert 'id="buyers-chart"' in page and '<tr data-day="1">' in page
    assert 'hx-trigger="every 1s"' not in page  # nothing left to follow

    listing = text(client.get("/campaigns/"))
    row = re.search(rf'<tr id="campaign-{campaign_id}">.*?</tr>', listing, re.S)
    assert row is not None
    assert f'<td class="number">{everyone}</td>' in row.group(0)
    assert f'<td class="number">{sendable}</td>' in row.group(0)

    session.rollback()
    texts = set(session.scalars(select(Message.text).where(Message.campaign_id == campaign_id,
                                                           Message.status == "sent")))
    assert "【测试店】buyer0您好，双十一全场五折 拒收请回复R" in texts
    actions = [a for a, in session.execute(select(AuditLog.action).order_by(AuditLog.id))]
    assert "campaign.create" in actions and "campaign.send" in actions


def test_the_progress_fragment_reloads_the_page_when_the_status_changes(
    login_as: Callable[[User], FlaskClient], operator: User, config: Config, shop_data: dict[str, int]
) -> None:
    client = login_as(operator)
    campaign_id, job_id = send_through_pages(client, config, wizard(shop_data["segment"]))
    page = text(client.get(f"/campaigns/{campaign_id}?job={job_id}"))
    assert 'hx-trigger="every 1s"' in page  # sending: the page follows it
    assert f"/campaigns/{campaign_id}/progress?shown=sending&amp;job={job_id}" in page
    fragment = client.get(f"/campaigns/{campaign_id}/progress?shown=draft&job={job_id}",
                          headers={"HX-Request": "true"})
    assert fragment.headers.get("HX-Refresh") == "true"
    assert "<html" not in text(fragment) and '<tr data-status="pending">' in text(fragment)
    steady = client.get(f"/campaigns/{campaign_id}/progress?shown=sending&job={job_id}")
    assert "HX-Refresh" not in steady.headers
    settle(config, campaign_id)
    done = client.get(f"/campaigns/{campaign_id}/progress?shown=sending&job={job_id}")
    assert done.headers.get("HX-Refresh") == "true"
    assert 'hx-trigger="every 1s"' not in text(done) and 'data-status="sent"' in text(done)


def test_cancelling_stops_what_is_still_waiting(
    login_as: Callable[[User], FlaskClient], operator: User, config: Config, session: Session,
    shop_data: dict[str, int]
) -> None:
    client = login_as(operator)
    campaign_id, _job = send_through_pages(client, config, wizard(shop_data["segment"]))
    page = text(client.get(f"/campaigns/{campaign_id}"))
    assert 'data-confirm="取消 双十一预热？尚未发出的短信将不再发送。"' in page
    response = client.post(f"/campaigns/{campaign_id}/cancel", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "已取消活动 双十一预热：9 条待发送短信不会再发送。" in page
    settle(config, campaign_id)
    session.rollback()
    counts = dict(session.execute(select(Message.skip_reason, func.count()).where(Message.campaign_id == campaign_id)
                                  .group_by(Message.skip_reason)).all())
    assert counts == {"cancelled": 9, "invalid_number": 2, "opted_out": 1}
    assert session.get(Campaign, campaign_id).status == "cancelled"
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "campaign.cancel"))
    assert audit is not None and audit.details["skipped"] == 9 and audit.username == "ops"
    again = client.post(f"/campaigns/{campaign_id}/cancel", data={"csrf_token": csrf_token(page)})
    assert "没有可取消的内容" in text(client.get(again.headers["Location"]))


def test_a_draft_made_elsewhere_is_sent_from_its_page_once(
    login_as: Callable[[User], FlaskClient], operator: User, config: Config, session: Session,
    shop_data: dict[str, int]
) -> None:
    made = create(session, shop_data["shop"], "命令行草稿", "sms_mock", "${name}您好", segment_id=shop_data["segment"])
    session.commit()
    client = login_as(operator)
    page = text(client.get(f"/campaigns/{made.id}"))
    assert "发送前" in page and "【测试店】张伟您好 拒收请回复R" in page
    assert f'<dd id="sms-cost">¥{PRICE * 12:.2f}</dd>' in page
    assert 'id="campaign-report"' not in page  # nothing to report before it is sent
    response = client.post(f"/campaigns/{made.id}/send", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    job_id = int(parse_qs(urlsplit(response.headers["Location"]).query)["job"][0])
    assert wait_for(job_id, config, timeout=30)["status"] == "finished"
    settle(config, made.id)
    again = client.post(f"/campaigns/{made.id}/send", data={"csrf_token": csrf_token(page)})
    assert "活动 命令行草稿 状态为已发送，不能再次发送。" in text(client.get(again.headers["Location"]))
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Message).where(
        Message.campaign_id == made.id, Message.status == "sent")) == REACHABLE - 1


# --- exports ------------------------------------------------------------------------------------


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_report_and_the_recipients_export_as_csv(
    login_as: Callable[[User], FlaskClient], operator: User, admin: User, config: Config, session: Session,
    shop_data: dict[str, int]
) -> None:
    client = login_as(operator)
    campaign_id, _job = send_through_pages(client, config, wizard(shop_data["segment"]))
    settle(config, campaign_id)
    token = page_token(client, f"/campaigns/{campaign_id}")
    response = client.post(f"/campaigns/{campaign_id}/report.csv", data={"csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    rows = read_csv(response.get_data())
    assert rows[0] == ["指标", "值"]
    values = {row[0]: row[1] for row in rows if len(row) == 2}
    assert values["分群内客户"] == "12" and values["已发送"] == "9" and values["无有效手机号"] == "2"
    assert values["成本（元）"] == str((PRICE * 9).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))  # 0.405 -> 0.41
    assert ["发送后第几天", "购买人数", "销售额（元）"] in rows

    recipients = read_csv(client.post(f"/campaigns/{campaign_id}/recipients.csv",
                                      data={"csrf_token": token}).get_data())
    assert recipients[0][:4] == ["客户编号", "手机号", "状态", "排除原因"]
    assert len(recipients) == 1 + 12
    mobiles = {row[1] for row in recipients[1:]}
    assert "138****0001" in mobiles and "13800000001" not in mobiles
    assert any(row[2] == "已跳过" and row[3] == "已退订" for row in recipients[1:])

    admin_client = login_as(admin)
    full = read_csv(admin_client.post(f"/campaigns/{campaign_id}/recipients.csv",
                                      data={"csrf_token": page_token(admin_client, "/campaigns/")}).get_data())
    assert "13800000001" in {row[1] for row in full[1:]}
    session.rollback()
    exports = session.scalars(select(AuditLog).where(AuditLog.action == "campaign.export").order_by(AuditLog.id)).all()
    assert [(e.username, e.details["what"], e.details["masked"], e.details["finished"]) for e in exports] == [
        ("ops", "report", True, True), ("ops", "recipients", True, True), ("boss", "recipients", False, True)]
    assert exports[1].details["rows"] == 12


# --- escaping and the sending rules -------------------------------------------------------------


def test_a_campaign_name_with_markup_is_shown_as_text(
    admin_client: FlaskClient, session: Session, shop_data: dict[str, int]
) -> None:
    made = create(session, shop_data["shop"], "<script>alert(1)</script>", "sms_mock", "您好",
                  segment_id=shop_data["segment"])
    session.commit()
    for url in ("/campaigns/", f"/campaigns/{made.id}"):
        page = text(admin_client.get(url))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        assert "<script>alert(1)" not in page, url


def test_admins_change_the_sending_rules_and_others_read_them(
    login_as: Callable[[User], FlaskClient], admin: User, operator: User, session: Session,
    shop_data: dict[str, int]
) -> None:
    client = login_as(operator)
    page = text(client.get("/campaigns/sending-rules"))
    assert "每位客户 7 天内最多收到 2 条营销短信" in page and 'name="frequency_cap"' not in page
    assert client.post("/campaigns/sending-rules", data={"csrf_token": csrf_token(page)}).status_code == 403

    client = login_as(admin)
    page = text(client.get("/campaigns/sending-rules"))
    form = {"frequency_cap": 3, "frequency_days": 10, "quiet_start": 22, "quiet_end": 9,
            "blacklist_bad_reviews": "y", "low_responder_messages": 4, "attribution_days": 14,
            "opt_out_text": "回T退订", "csrf_token": csrf_token(page)}
    refused = client.post("/campaigns/sending-rules", data={**form, "quiet_start": 30})
    assert refused.status_code == 422
    response = client.post("/campaigns/sending-rules", data=form)
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "已保存发送规则。" in page and "每位客户 10 天内最多收到 3 条营销短信" in page
    session.rollback()
    policy = load_policy(session, shop_data["shop"])
    assert (policy.frequency_cap, policy.quiet_start, policy.blacklist_bad_reviews, policy.low_responders,
            policy.attribution_days, policy.opt_out_text) == (3, 22, True, False, 14, "回T退订")
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "sending_rules.update"))
    assert entry is not None and entry.details["after"]["frequency_cap"] == 3
    assert entry.details["before"]["frequency_cap"] == 2


def test_the_pages_read_in_english_too(
    make_user: Callable[..., User], login_as: Callable[[User], FlaskClient], config: Config, session: Session,
    shop_data: dict[str, int]
) -> None:
    client = login_as(make_user("anne", "operator", locale="en"))
    wizard_page = text(client.get(f"/campaigns/new?segment={shop_data['segment']}"))
    assert "1. Audience" in wizard_page and "12 customers in 全部客户 now" in wizard_page
    campaign_id, _job = send_through_pages(client, config, wizard(shop_data["segment"], control_percent=20))
    settle(config, campaign_id)
    page = text(client.get(f"/campaigns/{campaign_id}"))
    # The control group, drawn independently: a hash of campaign and customer below 20 % of its range.
    sendable = session.scalars(select(Customer.id).where(Customer.sms_reachable.is_(True),
                                                         Customer.mobile != "13800000003")).all()
    held = sum(1 for customer_id in sendable if bucket_of(campaign_id, customer_id) < 2000)
    assert figure(page, "control") == str(held)
    assert figure(page, "sent") == str(len(sendable) - held)
    assert "Report" in page and "Against the control group" in page and "Day 1" in page
    assert "No valid mobile number" in page and "Sent</span>" in page
    assert "Campaigns" in text(client.get("/campaigns/"))
    assert "Frequency cap: at most 2 marketing messages per customer in 7 days." in text(
        client.get("/campaigns/sending-rules"))


def test_a_confirmation_posted_twice_makes_one_campaign(
    login_as: Callable[[User], FlaskClient], operator: User, config: Config, session: Session,
    shop_data: dict[str, int]
) -> None:
    client = login_as(operator)
    token = page_token(client, "/campaigns/new")
    review = client.post("/campaigns/new", data={**wizard(shop_data["segment"]), "csrf_token": token})
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', text(review)))
    assert len(hidden["submission"]) == 32
    first = client.post("/campaigns/", data=hidden)
    second = client.post("/campaigns/", data=hidden)  # a double click
    assert first.status_code == second.status_code == 302
    assert urlsplit(second.headers["Location"]).path == urlsplit(first.headers["Location"]).path
    job = int(parse_qs(urlsplit(first.headers["Location"]).query)["job"][0])
    assert wait_for(job, config, timeout=30)["status"] == "finished"
    assert len(campaigns(session)) == 1
