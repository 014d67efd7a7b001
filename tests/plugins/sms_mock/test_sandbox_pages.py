"""The sandbox pages: log-in required, CSRF on every form, numbers masked, settings for admins."""
from __future__ import annotations

import re

from sqlalchemy import select

from shopcrm.models import Inbound, OptOut

from shopcrm_sms_mock import behaviour, views
from shopcrm_sms_mock.models import Reply, Submission
from sms_mock_support import message
from tests.web.web_support import csrf_token, text


def first_row_id(session):
    return session.scalar(select(Submission.id).order_by(Submission.id))


def test_every_page_needs_a_log_in(client, channel, session):
    channel.send_batch([message(1)], {})
    row = first_row_id(session)
    for url in ("/plugins/sms_mock/", f"/plugins/sms_mock/phones/{row}", "/plugins/sms_mock/settings"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_submissions_newest_first_with_masked_numbers(login_as, make_user, channel):
    channel.send_batch([message(1, "13812345678", "第一条"), message(2, "13987654321", "第二条")], {})
    viewer = login_as(make_user("guest", "viewer"))
    page = text(viewer.get("/plugins/sms_mock/"))
    assert "短信沙箱" in page
    assert "138****5678" in page and "13812345678" not in page
    assert page.index("第二条") < page.index("第一条")
    assert "立即发送到期回执" not in page  # viewers do not run jobs
    admin = login_as(make_user("boss", "admin"))
    assert "13812345678" in text(admin.get("/plugins/sms_mock/"))


def test_submissions_are_paged_and_filtered_by_number(login_as, make_user, channel, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    channel.send_batch([message(i, text=f"短信{i}号") for i in range(1, 6)], {})
    client = login_as(make_user("ops", "operator"))
    first = text(client.get("/plugins/sms_mock/"))
    assert "短信5号" in first and "短信4号" in first and "短信3号" not in first
    following = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = text(client.get(following))
    assert "短信3号" in second and "短信2号" in second and "短信5号" not in second
    only = text(client.get("/plugins/sms_mock/?number=13800000003"))
    assert "短信3号" in only and "短信4号" not in only


def test_the_phone_page_shows_what_it_received_and_replies_raise_events(login_as, make_user, channel,
                                                                         session, events):
    channel.send_batch([message(1, "13812345678", "您的订单已发货")], {})
    row = first_row_id(session)
    client = login_as(make_user("ops", "operator"))
    page = text(client.get(f"/plugins/sms_mock/phones/{row}"))
    assert "您的订单已发货" in page and "138****5678" in page and "13812345678" not in page
    url = f"/plugins/sms_mock/phones/{row}/reply"
    assert client.post(url, data={"text": "TD"}).status_code == 400  # no CSRF token
    assert events() == []
    token = csrf_token(page)
    response = client.post(url, data={"text": "请问什么时候到货", "csrf_token": token})
    assert response.status_code == 302
    client.post(url, data={"text": "", "quick": "退订", "csrf_token": token})
    assert [(e["kind"], e["mobile"], e["text"], e["channel"]) for e in events()] == [
        ("replied", "13812345678", "请问什么时候到货", "sms_mock"), ("replied", "13812345678", "退订", "sms_mock")]
    session.expire_all()
    assert session.scalars(select(Reply.text).order_by(Reply.id)).all() == ["请问什么时候到货", "退订"]
    # The core files both replies for the shop, and the keyword one opts the number out.
    assert session.scalars(select(Inbound.text).order_by(Inbound.id)).all() == ["请问什么时候到货", "退订"]
    assert session.scalars(select(OptOut.mobile).where(OptOut.channel == "sms_mock")).all() == ["13812345678"]
    assert "退订" in text(client.get(f"/plugins/sms_mock/phones/{row}"))
    assert client.get("/plugins/sms_mock/phones/999999").status_code == 404


def test_viewers_cannot_reply(login_as, make_user, channel, session, events):
    channel.send_batch([message(1)], {})
    row = first_row_id(session)
    viewer = login_as(make_user("guest", "viewer"))
    token = csrf_token(text(viewer.get(f"/plugins/sms_mock/phones/{row}")))
    response = viewer.post(f"/plugins/sms_mock/phones/{row}/reply", data={"text": "TD", "csrf_token": token})
    assert response.status_code == 403 and events() == []


def test_settings_are_for_administrators(login_as, make_user, session):
    assert login_as(make_user("ops", "operator")).get("/plugins/sms_mock/settings").status_code == 403
    admin = login_as(make_user("boss", "admin"))
    page = text(admin.get("/plugins/sms_mock/settings"))
    form = {"delay_seconds": "30", "transient_percent": "10", "permanent_percent": "5", "unknown_percent": "2.5",
            "failed_percent": "1", "limit_per_minute": "2", "limit_per_hour": "6", "limit_per_day": "0",
            "seed": "trial"}
    assert admin.post("/plugins/sms_mock/settings", data=form).status_code == 400  # no CSRF token
    token = csrf_token(page)
    refused = admin.post("/plugins/sms_mock/settings", data={**form, "transient_percent": "120", "csrf_token": token})
    assert refused.status_code == 200 and "设置未保存" in text(refused)
    too_many = admin.post("/plugins/sms_mock/settings", data={**form, "transient_percent": "60",
                                                               "permanent_percent": "50", "csrf_token": token})
    assert "三种错误的比例加起来超过了百分之百" in text(too_many)
    assert behaviour.load(session) == behaviour.DEFAULTS
    saved = admin.post("/plugins/sms_mock/settings", data={**form, "csrf_token": token})
    assert saved.status_code == 302
    session.rollback()  # a fresh read
    assert behaviour.load(session) == behaviour.Behaviour(30, 10, 5, 2.5, 1, 2, 6, 0, "trial")
    assert 'value="2.5"' in text(admin.get("/plugins/sms_mock/settings"))


def test_the_receipts_button_sends_due_receipts(login_as, make_user, channel, events):
    channel.send_batch([message(1), message(2)], {})  # due long ago by the real clock
    client = login_as(make_user("ops", "operator"))
    page = text(client.get("/plugins/sms_mock/"))
    assert client.post("/plugins/sms_mock/receipts").status_code == 400  # no CSRF token
    response = client.post("/plugins/sms_mock/receipts", data={"csrf_token": csrf_token(page)},
                           follow_redirects=True)
    assert "成功 2 条" in text(response)
    assert sorted(e["message_id"] for e in events() if e["kind"] == "delivered") == [1, 2]


def test_the_menu_links_to_the_sandbox(login_as, make_user):
    page = text(login_as(make_user("guest", "viewer")).get("/"))
    assert 'href="/plugins/sms_mock/"' in page
