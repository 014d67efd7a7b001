"""Configuration from the environment and the instance folder."""
from __future__ import annotations

import stat

from shopcrm.config import load_config, load_or_create_secret, normalise_database_url


def test_defaults_put_sqlite_in_the_instance_folder(tmp_path):
    config = load_config({"SHOPCRM_INSTANCE": str(tmp_path / "inst")})
    assert config.database_url == f"sqlite:///{tmp_path / 'inst' / 'shopcrm.db'}"
    assert config.is_sqlite and config.redis_url is None
    assert (tmp_path / "inst").is_dir()


def test_environment_selects_postgres_redis_and_extra_settings(tmp_path):
    config = load_config({
        "SHOPCRM_INSTANCE": str(tmp_path),
        "DATABASE_URL": "postgres://shop:pw@db.internal/crm",
        "REDIS_URL": "redis://127.0.0.1:6379/2",
        "SHOPCRM_LOG_LEVEL": "DEBUG",
    })
    assert config.database_url == "postgresql+psycopg://shop:pw@db.internal/crm"
    assert not config.is_sqlite
    assert config.redis_url == "redis://127.0.0.1:6379/2"
    assert config.extra == {"LOG_LEVEL": "DEBUG"}


def test_database_url_normalisation_keeps_other_drivers():
    assert normalise_database_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalise_database_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_secret_key_is_generated_once_and_private(tmp_path):
    key = load_or_create_secret(tmp_path)
    assert len(key) == 64
    assert load_or_create_secret(tmp_path) == key
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_secret_key_from_the_environment_is_used_and_no_file_is_made(tmp_path):
    key = "k" * 64
    config = load_config({"SHOPCRM_INSTANCE": str(tmp_path), "SHOPCRM_SECRET_KEY": key})
    assert config.secret_key() == key
    assert not (tmp_path / "secret_key").exists()


def test_machines_sharing_the_environment_key_read_each_others_secrets(tmp_path):
    from shopcrm.secret_box import decrypt, encrypt

    key = "0123456789abcdef" * 4
    web = load_config({"SHOPCRM_INSTANCE": str(tmp_path / "web"), "SHOPCRM_SECRET_KEY": key})
    worker = load_config({"SHOPCRM_INSTANCE": str(tmp_path / "worker"), "SHOPCRM_SECRET_KEY": key})
    assert decrypt(worker.secret_key(), encrypt(web.secret_key(), "AccessKeySecret")) == "AccessKeySecret"


def test_a_short_environment_key_is_refused_with_the_reason(tmp_path):
    import pytest

    from shopcrm.config import ConfigError

    config = load_config({"SHOPCRM_INSTANCE": str(tmp_path), "SHOPCRM_SECRET_KEY": "short"})
    with pytest.raises(ConfigError, match="SHOPCRM_SECRET_KEY is too short \\(5 characters\\): use at least 32"):
        config.secret_key()
