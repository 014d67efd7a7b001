"""Fixtures: a fresh instance folder and database for every test, on SQLite or PostgreSQL.

Without ``DATABASE_URL`` each test gets its own SQLite file, copied from one migrated once per
session. With ``DATABASE_URL`` (PostgreSQL) the session creates its own database next to the
given one, migrates it once, and every test starts with all tables emptied.
``REDIS_URL`` makes the RQ tests run against that Redis (on a database index of their own).
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shopcrm import migrate
from shopcrm.config import Config, load_config, normalise_database_url
from shopcrm.db import dispose_engines, get_engine, make_engine, scratch_database, session_factory
from shopcrm.jobs.runner import join_embedded_runners
from shopcrm.plugins import reset_plugin_manager

OUTER_DATABASE_URL = os.environ.get("DATABASE_URL")
OUTER_REDIS_URL = os.environ.get("REDIS_URL")
TEST_REDIS_DB = 9
ENV_KEYS = ("DATABASE_URL", "REDIS_URL", "SHOPCRM_INSTANCE", "SHOPCRM_PLUGINS", "SHOPCRM_PLUGINS_DIR")


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = make_url(normalise_database_url(OUTER_DATABASE_URL)).render_as_string() if OUTER_DATABASE_URL else "SQLite"
    return [f"shopcrm database: {db}; redis: {OUTER_REDIS_URL or 'none (embedded jobs only)'}"]


@pytest.fixture(scope="session", autouse=True)
def _clean_environment() -> Iterator[None]:
    saved = {key: os.environ.pop(key, None) for key in ENV_KEYS}
    yield
    for key, value in saved.items():
        if value is not None:
            os.environ[key] = value


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a SQLite file to copy, or a PostgreSQL URL to empty per test."""
    folder = tmp_path_factory.mktemp("template")
    with scratch_database(OUTER_DATABASE_URL, str(folder), f"shopcrm_test_{os.getpid()}") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url if OUTER_DATABASE_URL else url.removeprefix("sqlite:///")
        dispose_engines()


def _empty_postgres(url: str) -> None:
    engine = get_engine(load_config({"DATABASE_URL": url, "SHOPCRM_INSTANCE": "/tmp"}))
    with engine.begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )).scalars().all()
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def config(tmp_path: Path, database_template: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Config]:
    """A fresh instance folder and an empty, migrated database, set in the environment too
    (so subprocesses and code that reads the environment see the same)."""
    instance = tmp_path / "instance"
    instance.mkdir()
    if OUTER_DATABASE_URL:
        url = database_template
        _empty_postgres(url)
    else:
        shutil.copyfile(database_template, instance / "shopcrm.db")
        url = f"sqlite:///{instance / 'shopcrm.db'}"
    monkeypatch.setenv("SHOPCRM_INSTANCE", str(instance))
    monkeypatch.setenv("DATABASE_URL", url)
    reset_plugin_manager()
    yield load_config()
    join_embedded_runners()  # jobs a test queued (labels after an import ...) end with the test
    reset_plugin_manager()
    if not OUTER_DATABASE_URL:
        dispose_engines()


@pytest.fixture
def engine(config: Config) -> Engine:
    return get_engine(config)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


@pytest.fixture
def redis_url(config: Config, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """REDIS_URL on a database index of the tests' own, emptied; skipped without REDIS_URL."""
    if not OUTER_REDIS_URL:
        pytest.skip("REDIS_URL is not set: RQ tests run where a Redis server is given (CI sets it)")
    from redis import Redis

    url = _with_db(OUTER_REDIS_URL, TEST_REDIS_DB)
    conn = Redis.from_url(url)
    conn.flushdb()
    monkeypatch.setenv("REDIS_URL", url)
    yield url
    conn.flushdb()
    conn.close()


def _with_db(url: str, db: int) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"
