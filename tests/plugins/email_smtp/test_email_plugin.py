"""The email channel is an installed plugin like any other, and its settings are checked before
they are stored (the password encrypted, never shown back)."""
from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import select

from shopcrm import channel_settings
from shopcrm.cli import build_cli
from shopcrm.db import session_scope
from shopcrm.models import Setting, Shop
from shopcrm.registry import get_registry
from shopcrm_email_smtp.channel import SmtpEmailChannel
from email_smtp_support import PASSWORD


def test_shopcrm_plugins_lists_the_email_channel(config) -> None:
    output = CliRunner().invoke(build_cli(), ["plugins", "--json"], catch_exceptions=False).output
    plugins = {p["name"]: p for p in json.loads(output)}
    assert plugins["email_smtp"]["registered"] == {"channels": ["email_smtp"]}
    assert set(plugins["email_smtp"]["hooks"]) == {"register_channels", "register_blueprints"}
    channel = get_registry().channels["email_smtp"]
    assert isinstance(channel, SmtpEmailChannel)
    assert (channel.kind, channel.count_segments("很长的邮件" * 500)) == ("email", 1)


def _shop(config) -> int:
    with session_scope(config) as session:
        shop = Shop(name="设置测试店", sms_signature="小店")
        session.add(shop)
        session.flush()
        return shop.id


def test_bad_settings_are_refused_each_naming_its_field_and_nothing_is_stored(config) -> None:
    shop_id = _shop(config)
    with session_scope(config) as session:
        errors = channel_settings.save(session, config, "email_smtp", shop_id, {
            "host": "smtp.example.com", "port": "99999", "security": "tls1.3", "from_address": "shop at example",
            "reply_to": "reply@", "public_url": "crm.example.com", "timeout": "zero", "password": PASSWORD})
        assert len(errors) == 6
        for words in ("SMTP port", "Connection security", "From address", "Reply-to address",
                      "Public address of ShopCRM", "Timeout (seconds)"):
            assert any(words in error for error in errors), words
        assert session.scalars(select(Setting)).all() == []


def test_required_settings_are_asked_for(config) -> None:
    shop_id = _shop(config)
    with session_scope(config) as session:
        errors = channel_settings.save(session, config, "email_smtp", shop_id, {
            "host": "", "from_address": "", "public_url": ""})
    assert len(errors) == 3 and all("is required" in error for error in errors)


def test_good_settings_are_stored_with_the_password_encrypted(config) -> None:
    shop_id = _shop(config)
    with session_scope(config) as session:
        errors = channel_settings.save(session, config, "email_smtp", shop_id, {
            "host": "smtp.example.com", "port": "465", "security": "ssl", "username": "shop@example.com",
            "password": PASSWORD, "from_address": "Shop@Example.com", "from_name": "小店旗舰店",
            "public_url": "https://crm.example.com"})
        assert errors == []
    with session_scope(config) as session:
        loaded = channel_settings.load(session, config, "email_smtp", shop_id)
        shown = channel_settings.display(session, "email_smtp", shop_id)
        stored = session.scalars(select(Setting.value).where(Setting.secret.is_(True))).all()
    assert (loaded["host"], loaded["port"], loaded["security"], loaded["password"]) == (
        "smtp.example.com", "465", "ssl", PASSWORD)
    assert stored and all(PASSWORD not in str(value) for value in stored)
    assert PASSWORD not in json.dumps(shown, ensure_ascii=False) and shown["password"] == "set"


def test_an_email_is_priced_per_email_free_unless_the_shop_says_otherwise(config) -> None:
    from decimal import Decimal

    channel = get_registry().channels["email_smtp"]
    fields = channel_settings.fields(channel)
    price = fields[0]
    assert [f.name for f in fields[:2]] == ["price_per_part", "rate_per_second"]
    assert [f.name for f in fields].count("price_per_part") == 1
    assert (str(price.label), price.default) == ("Price per email (yuan)", "0")
    with session_scope(config) as session:
        shop = Shop(name="邮件店")
        session.add(shop)
        session.flush()
        assert channel_settings.load(session, config, "email_smtp", shop.id)["price_per_part"] == Decimal("0")
        errors = channel_settings.save(session, config, "email_smtp", shop.id, {"price_per_part": "free"})
    assert any("price per email" in str(error).lower() for error in errors)
