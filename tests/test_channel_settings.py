"""Per-shop channel settings: the core fields, validation, secrets encrypted at rest."""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcrm import channel_settings, secret_box
from shopcrm.config import Config
from shopcrm.models import AuditLog, Setting, User
from shopcrm.plugins import reset_plugin_manager
from tests.plugin_fixtures import write_plugin_file

GATEWAY = '''
from shopcrm import hookimpl
from shopcrm.channels import Channel, SendResult, SettingsField


class Gateway(Channel):
    name = "test_gateway"
    label = "Test gateway"

    def settings_fields(self):
        return [
            SettingsField("access_key", "Access key"),
            SettingsField("access_secret", "Access secret", secret=True),
            SettingsField("region", "Region", required=False, default="cn-hangzhou"),
        ]

    def send_batch(self, messages, settings):
        return [SendResult(m.id, "accepted") for m in messages]


@hookimpl
def register_channels():
    return [Gateway()]
'''

SECRET = "s3cr3t-value-do-not-show"
NAME = "test_gateway"
SHOP = 1


@pytest.fixture(autouse=True)
def gateway_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: Config) -> None:
    folder = tmp_path / "plugins"
    write_plugin_file(folder, "test_gateway_plugin", GATEWAY)
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(folder))
    monkeypatch.setenv("SHOPCRM_PLUGINS", "")
    reset_plugin_manager()


def valid(**overrides: str) -> dict[str, str]:
    return {"price_per_part": "0.05", "rate_per_second": "20", "access_key": "AK1",
            "access_secret": SECRET, "region": "", **overrides}


def test_the_core_fields_come_first() -> None:
    channel = channel_settings.get_channel(NAME)
    names = [field.name for field in channel_settings.fields(channel)]
    assert names == ["price_per_part", "rate_per_second", "access_key", "access_secret", "region"]
    assert channel_settings.CORE_FIELDS[0].default == "0.045"
    assert channel_settings.CORE_FIELDS[1].default == "0"


def test_defaults_before_anything_is_saved(session: Session, config: Config) -> None:
    loaded = channel_settings.load(session, config, NAME, SHOP)
    assert loaded == {"price_per_part": Decimal("0.045"), "rate_per_second": 0, "access_key": None,
                      "access_secret": None, "region": "cn-hangzhou"}


def test_saved_values_load_back_typed_and_decrypted(session: Session, config: Config) -> None:
    assert channel_settings.save(session, config, NAME, SHOP, valid()) == []
    session.commit()
    loaded = channel_settings.load(session, config, NAME, SHOP)
    assert loaded == {"price_per_part": Decimal("0.05"), "rate_per_second": 20, "access_key": "AK1",
                      "access_secret": SECRET, "region": "cn-hangzhou"}
    assert channel_settings.load(session, config, NAME, SHOP + 1)["access_key"] is None  # per shop


def test_a_secret_is_encrypted_at_rest(session: Session, config: Config) -> None:
    channel_settings.save(session, config, NAME, SHOP, valid())
    session.commit()
    row = session.scalars(select(Setting).where(Setting.key == "access_secret")).one()
    assert row.namespace == f"channel:{NAME}:{SHOP}"
    assert row.secret is True
    assert SECRET not in str(row.value)
    plain = session.scalars(select(Setting).where(Setting.key == "access_key")).one()
    assert (plain.value, plain.secret) == ("AK1", False)


def test_another_instance_key_cannot_decrypt(session: Session, config: Config, tmp_path: Path) -> None:
    channel_settings.save(session, config, NAME, SHOP, valid())
    session.commit()
    other = tmp_path / "other-instance"
    other.mkdir()
    stranger = dataclasses.replace(config, instance_path=other)
    assert stranger.secret_key() != config.secret_key()
    with pytest.raises(secret_box.SecretError, match="cannot be decrypted"):
        channel_settings.load(session, stranger, NAME, SHOP)


def test_a_blank_secret_keeps_the_stored_one(session: Session, config: Config) -> None:
    channel_settings.save(session, config, NAME, SHOP, valid())
    assert channel_settings.save(session, config, NAME, SHOP, valid(access_secret="", access_key="AK2")) == []
    loaded = channel_settings.load(session, config, NAME, SHOP)
    assert (loaded["access_key"], loaded["access_secret"]) == ("AK2", SECRET)


def test_a_new_secret_replaces_one_this_key_cannot_read(session: Session, config: Config) -> None:
    session.add(Setting(namespace=f"channel:{NAME}:{SHOP}", key="access_secret",
                        value=secret_box.encrypt("another install's key", "old"), secret=True))
    assert channel_settings.save(session, config, NAME, SHOP, valid(access_secret="new")) == []
    assert channel_settings.load(session, config, NAME, SHOP)["access_secret"] == "new"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"access_key": " "}, "Access key is required."),
    ({"access_secret": ""}, "Access secret is required."),
    ({"price_per_part": "cheap"}, "Price per billed SMS part (yuan) must be a number of yuan"),
    ({"price_per_part": "-0.01"}, "Price per billed SMS part (yuan) must be a number of yuan"),
    ({"price_per_part": "NaN"}, "Price per billed SMS part (yuan) must be a number of yuan"),
    ({"rate_per_second": "1.5"}, "Messages per second must be a whole number"),
    ({"rate_per_second": "-3"}, "Messages per second must be a whole number"),
])
def test_invalid_values_are_refused_naming_the_field(session: Session, config: Config,
                                                     overrides: dict[str, str], message: str) -> None:
    errors = channel_settings.save(session, config, NAME, SHOP, valid(**overrides))
    assert len(errors) == 1 and errors[0].startswith(message), errors
    session.flush()
    assert session.scalars(select(Setting)).all() == []  # nothing saved


def test_every_error_is_reported_at_once(session: Session, config: Config) -> None:
    errors = channel_settings.save(session, config, NAME, SHOP,
                                   valid(access_key="", price_per_part="x", rate_per_second="y"))
    assert len(errors) == 3


def test_a_blank_optional_setting_falls_back_to_its_default(session: Session, config: Config) -> None:
    channel_settings.save(session, config, NAME, SHOP, valid(region="cn-shanghai", rate_per_second="5"))
    assert channel_settings.load(session, config, NAME, SHOP)["region"] == "cn-shanghai"
    channel_settings.save(session, config, NAME, SHOP, valid(region="", rate_per_second="", price_per_part=""))
    loaded = channel_settings.load(session, config, NAME, SHOP)
    assert (loaded["region"], loaded["rate_per_second"], loaded["price_per_part"]) == ("cn-hangzhou", 0,
                                                                                      Decimal("0.045"))


def test_display_never_shows_a_secret(session: Session, config: Config) -> None:
    shown = channel_settings.display(session, NAME, SHOP)
    assert shown["access_secret"] == "not set"
    channel_settings.save(session, config, NAME, SHOP, valid())
    shown = channel_settings.display(session, NAME, SHOP)
    assert shown == {"price_per_part": "0.05", "rate_per_second": "20", "access_key": "AK1",
                     "access_secret": "set", "region": "cn-hangzhou"}
    ciphertext = session.scalars(select(Setting.value).where(Setting.key == "access_secret")).one()
    assert all(ciphertext not in value and SECRET not in value for value in shown.values())


def test_saving_is_audited_without_secret_values(session: Session, config: Config) -> None:
    actor = User(username="boss", password_hash="x", role="admin")
    session.add(actor)
    session.flush()
    channel_settings.save(session, config, NAME, SHOP, valid(), actor=actor, ip="127.0.0.1")
    channel_settings.save(session, config, NAME, SHOP, valid(access_secret=""), actor=actor)  # no change
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "channel.settings")).one()
    assert entry.target == f"channel:{NAME}:{SHOP}"
    assert "access_secret" in entry.details["changed"]
    assert entry.details["values"]["access_key"] == "AK1"
    assert SECRET not in repr(entry.details)
    ciphertext = session.scalars(select(Setting.value).where(Setting.key == "access_secret")).one()
    assert ciphertext not in repr(entry.details)


def test_an_unknown_channel_is_a_lookup_error(session: Session, config: Config) -> None:
    with pytest.raises(LookupError, match="no channel named 'carrier_pigeon'"):
        channel_settings.load(session, config, "carrier_pigeon", SHOP)


def test_a_field_left_out_keeps_what_is_stored(session: Session, config: Config) -> None:
    channel_settings.save(session, config, NAME, SHOP, valid())
    assert channel_settings.save(session, config, NAME, SHOP, {"rate_per_second": "7"}) == []
    loaded = channel_settings.load(session, config, NAME, SHOP)
    assert (loaded["rate_per_second"], loaded["access_key"], loaded["price_per_part"]) == (7, "AK1", Decimal("0.05"))
