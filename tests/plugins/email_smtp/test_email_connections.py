"""How the email channel connects: STARTTLS and SSL to a server with a private certificate, and
what it says when the connection fails before or after the data was sent."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from shopcrm import campaigns, channel_settings, outbox
from shopcrm.db import session_scope, utcnow
from shopcrm.models import Message
from email_smtp_support import Handler, make_email_shop, self_signed, server_tls, settings_for, start_server
from sending_support import EVERYONE


def _send(config, controller, emails, shop="邮件测试店", **overrides):
    with session_scope(config) as session:
        shop_id, _ids = make_email_shop(session, emails, shop)
        assert channel_settings.save(session, config, "email_smtp", shop_id,
                                     settings_for(controller, **overrides)) == []
        campaign_id = campaigns.create(session, shop_id, "上新", "email_smtp", rules=EVERYONE,
                                       text="新品上架，欢迎选购", subject="新品上架").id
    now = utcnow()
    campaigns.begin(config, campaign_id, now)
    outbox.send_due(config, now=now)
    with session_scope(config) as session:
        return [(m.to, m.status, m.error_code) for m in session.scalars(
            select(Message).where(Message.campaign_id == campaign_id).order_by(Message.id))]


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_connections_check_the_certificate_against_the_given_authority(config, tmp_path, security):
    cert, key = self_signed(tmp_path)
    handler = Handler()
    options = {"tls_context": server_tls(cert, key), "require_starttls": True} if security == "starttls" \
        else {"ssl_context": server_tls(cert, key)}
    controller = start_server(handler, **options)
    try:
        sent = _send(config, controller, ["a@example.com"], security=security, ca_file=str(cert))
        assert sent == [("a@example.com", "sent", None)]
        assert handler.received[0].message["Subject"] == "新品上架"
        # without the authority the certificate is not trusted: nothing is sent, it is retried later
        unverified = _send(config, controller, ["b@example.com"], "另一家店", security=security)
        assert unverified == [("b@example.com", "pending", "smtp_connect")]
        assert len(handler.received) == 1
    finally:
        controller.stop()


def test_a_wrong_password_keeps_the_messages_for_later(config, smtp_server, handler):
    sent = _send(config, smtp_server, ["a@example.com"], password="wrong")
    assert sent == [("a@example.com", "pending", "smtp_auth_535")]
    assert handler.received == []


def test_no_server_listening_is_retried(config):
    gone = start_server(Handler())
    gone.stop()  # its port is free again: nothing answers there
    sent = _send(config, gone, ["a@example.com"])
    assert sent == [("a@example.com", "pending", "smtp_connect")]


def test_a_connection_lost_after_the_data_is_unknown_and_never_resent_blindly(config, smtp_server, handler):
    handler.data_delay = 3  # the server answers the data later than the channel waits
    sent = _send(config, smtp_server, ["a@example.com", "b@example.com"], timeout="1")
    assert sent == [("a@example.com", "sending", "smtp_connection_lost"),
                    ("b@example.com", "pending", "smtp_connection_lost")]
    with session_scope(config) as session:
        unknown = session.scalars(select(Message).where(Message.to == "a@example.com")).one()
    outcome = outbox.reconcile(config, now=unknown.send_after)  # SMTP cannot be asked: still unknown
    assert (outcome.claimed, outcome.unknown, outcome.retry) == (1, 1, 0)
