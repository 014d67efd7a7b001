"""A campaign through the email channel, end to end: outbox, SMTP server, unsubscribe page.

Customers without a valid email address are left out and counted, an address that unsubscribed
is skipped, two customers sharing an address get one email, the subject and body carry each
customer's values (Chinese encoded as MIME requires), and every email links to a page that opts
its address out, so that the next campaign skips it.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from shopcrm import campaigns, channel_settings, outbox
from shopcrm.db import session_scope, utcnow
from shopcrm.models import Message, OptOut
from shopcrm.opt_outs import opt_out
from shopcrm.template_store import TemplateData, save_template
from email_smtp_support import PUBLIC_URL, USER, make_email_shop, settings_for
from sending_support import EVERYONE
from tests.web.web_support import csrf_token

LINK = re.compile(re.escape(PUBLIC_URL) + r"(/plugins/email_smtp/unsubscribe/[A-Za-z0-9_.\-]+)")
EMAILS = ["wang@example.com", None, "not-an-address", "Li.Na@Example.COM ", "li.na@example.com",
          "zhao@example.com", "qian@example.com"]


def _set_up(config, smtp_server, emails=EMAILS):
    with session_scope(config) as session:
        shop_id, customer_ids = make_email_shop(session, emails)
        assert channel_settings.save(session, config, "email_smtp", shop_id, settings_for(smtp_server)) == []
        saved = save_template(session, shop_id, TemplateData(
            name="双11", subject="${name}，双11专属优惠", text="${name}您好：\n全场8折，欢迎光临${shop}。",
            channel="email_smtp"))
        assert saved.ok, saved.errors
    return shop_id, customer_ids, saved.template.id


def _campaign(config, shop_id, template_id, name):
    with session_scope(config) as session:
        campaign_id = campaigns.create(session, shop_id, name, "email_smtp", rules=EVERYONE,
                                       template_id=template_id).id
    now = utcnow()
    campaigns.begin(config, campaign_id, now)
    outbox.send_due(config, now=now)
    with session_scope(config) as session:
        rows = session.scalars(select(Message).where(Message.campaign_id == campaign_id)
                               .order_by(Message.customer_id)).all()
        session.expunge_all()
    return {row.customer_id: row for row in rows}


def test_a_campaign_emails_each_reachable_address_once_with_its_subject_and_link(config, smtp_server, handler):
    shop_id, ids, template_id = _set_up(config, smtp_server)
    with session_scope(config) as session:
        opt_out(session, shop_id, "email_smtp", "ZHAO@example.com", "operator")
    rows = _campaign(config, shop_id, template_id, "双11")

    assert [(rows[i].status, rows[i].skip_reason) for i in ids] == [
        ("sent", None), ("skipped", "invalid_email"), ("skipped", "invalid_email"), ("sent", None),
        ("skipped", "duplicate_email"), ("skipped", "opted_out"), ("sent", None)]
    assert rows[ids[3]].to == "li.na@example.com"
    received = {r.rcpt_tos[0]: r for r in handler.received}
    assert sorted(received) == ["li.na@example.com", "qian@example.com", "wang@example.com"]
    assert handler.logins == [USER] and all(r.mail_from == "shop@example.com" for r in received.values())

    mail = received["li.na@example.com"].message
    assert mail["Subject"] == "顾客3，双11专属优惠"
    assert mail["From"].addresses[0].display_name == "小店旗舰店"
    assert mail["Reply-To"] == "service@example.com"
    assert mail.get_content_charset() == "utf-8"
    body = received["li.na@example.com"].body
    assert body.startswith("顾客3您好：\n全场8折，欢迎光临邮件测试店。")
    assert "【小店】" not in body and "拒收请回复R" not in body
    assert f"shopcrm.{rows[ids[3]].id}." in mail["Message-ID"] and rows[ids[3]].gateway_id == mail["Message-ID"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = LINK.search(body)
    assert link and mail["List-Unsubscribe"] == f"<{PUBLIC_URL}{link.group(1)}>"
    raw = received["wang@example.com"].message.as_bytes()
    assert "顾客".encode() not in raw and b"=?utf-8?" in raw  # encoded, not raw 8-bit, in the headers
    assert rows[ids[0]].parts == 1 and rows[ids[0]].text.startswith("顾客0您好")


def test_following_the_unsubscribe_link_opts_the_address_out_of_the_next_campaign(config, smtp_server, handler,
                                                                                  client):
    shop_id, ids, template_id = _set_up(config, smtp_server)
    _campaign(config, shop_id, template_id, "第一波")
    received = {r.rcpt_tos[0]: r for r in handler.received}
    path = LINK.search(received["wang@example.com"].body).group(1)

    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "w***@example.com" in html and "wang@example.com" not in html
    with session_scope(config) as session:
        assert session.scalars(select(OptOut)).all() == []  # showing the page changes nothing
    done = client.post(path, data={"csrf_token": csrf_token(html)})
    assert done.status_code == 200 and 'id="unsubscribed"' in done.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": csrf_token(html)}).status_code == 200  # twice: no harm
    with session_scope(config) as session:
        stored = [(o.channel, o.mobile, o.source) for o in session.scalars(select(OptOut))]
    assert stored == [("email_smtp", "wang@example.com", "unsubscribe_link")]

    handler.received.clear()
    rows = _campaign(config, shop_id, template_id, "第二波")
    assert (rows[ids[0]].status, rows[ids[0]].skip_reason) == ("skipped", "opted_out")
    assert sorted(r.rcpt_tos[0] for r in handler.received) == ["li.na@example.com", "qian@example.com",
                                                               "zhao@example.com"]


def test_one_click_unsubscribe_needs_only_the_signed_token(config, smtp_server, handler, client):
    shop_id, ids, template_id = _set_up(config, smtp_server)
    _campaign(config, shop_id, template_id, "双11")
    path = LINK.search({r.rcpt_tos[0]: r for r in handler.received}["qian@example.com"].body).group(1)

    forged = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    assert client.post(forged, data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert client.get(forged).status_code == 404
    assert client.post(path, data={}).status_code == 400  # the page's form without its CSRF token
    with session_scope(config) as session:
        assert session.scalars(select(OptOut)).all() == []
    answer = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    with session_scope(config) as session:
        assert [(o.mobile, o.source) for o in session.scalars(select(OptOut))] == [
            ("qian@example.com", "unsubscribe_link")]


def test_a_transient_refusal_is_retried_and_a_permanent_one_is_final(config, smtp_server, handler):
    handler.answer("wang@example.com", "451 4.7.1 Greylisted, try again later")
    handler.answer("qian@example.com", "550 5.1.1 No such mailbox")
    shop_id, ids, template_id = _set_up(config, smtp_server)
    rows = _campaign(config, shop_id, template_id, "双11")
    assert (rows[ids[0]].status, rows[ids[0]].error_code) == ("pending", "smtp_451")
    assert (rows[ids[6]].status, rows[ids[6]].error_code) == ("failed", "smtp_550")
    assert "No such mailbox" in rows[ids[6]].error
    assert rows[ids[3]].status == "sent"
    assert sorted(r.rcpt_tos[0] for r in handler.received) == ["li.na@example.com", "zhao@example.com"]

    later = rows[ids[0]].send_after
    outcome = outbox.send_due(config, now=later)
    assert (outcome.claimed, outcome.sent) == (1, 1)
    assert [r.rcpt_tos[0] for r in handler.received][-1] == "wang@example.com"
    assert len(handler.received) == 3  # the rejected one was not tried again
