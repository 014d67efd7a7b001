"""`shopcrm backup PATH` and `shopcrm restore PATH [--force]`: what they print and refuse."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from shopcrm import migrate
from shopcrm.cli import build_cli
from shopcrm.db import dispose_engines, make_engine, session_scope
from shopcrm.config import load_config
from shopcrm.models import Customer, Shop


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(build_cli(), list(args))
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``embedded(name)`` points the environment at an SQLite install in ``tmp_path/name``
    (migrated unless ``empty``), whatever database the test run uses."""
    template = tmp_path / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    migrate.upgrade(engine)
    engine.dispose()

    def point(name: str, empty: bool = False) -> Path:
        instance = tmp_path / name
        instance.mkdir(exist_ok=True)
        if not empty and not (instance / "shopcrm.db").exists():
            shutil.copyfile(template, instance / "shopcrm.db")
        monkeypatch.setenv("SHOPCRM_INSTANCE", str(instance))
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.delenv("SHOPCRM_SECRET_KEY", raising=False)
        return instance

    yield point
    dispose_engines()


def add_customers(n: int, shop: str) -> None:
    with session_scope(load_config()) as session:
        made = Shop(name=shop, sms_signature="")
        session.add(made)
        session.flush()
        session.add_all(Customer(shop_id=made.id, platform_id=f"{shop}{i}") for i in range(n))


def test_backup_then_restore_on_another_instance(embedded, tmp_path) -> None:
    embedded("source")
    add_customers(7, "甲店")
    archive = tmp_path / "crm.tar.gz"
    out = run("backup", str(archive))
    assert f"backup written to {archive}: 7 customers, 0 orders, schema " in out.output
    assert "it holds the instance secret key" in out.output
    again = run("backup", str(archive), code=1)
    assert "already exists: choose a new file name" in again.output

    as_json = json.loads(run("backup", str(tmp_path / "second.tar.gz"), "--json").output)
    assert as_json["path"] == str(tmp_path / "second.tar.gz")
    assert as_json["counts"] == {"customer": 7, "order": 0} and as_json["format"] == 1 and as_json["revisions"]

    embedded("target", empty=True)
    restored = run("restore", str(archive))
    assert "restored the backup of " in restored.output and "7 customers, 0 orders" in restored.output
    assert "kept the replaced" not in restored.output
    with session_scope(load_config()) as session:
        assert session.query(Customer).count() == 7


def test_restore_over_data_is_refused_then_forced(embedded, tmp_path) -> None:
    embedded("source")
    add_customers(2, "甲店")
    archive = tmp_path / "crm.tar.gz"
    run("backup", str(archive))
    dispose_engines()
    embedded("target")
    add_customers(5, "乙店")
    refused = run("restore", str(archive), code=1)
    assert "already holds data: restoring would replace it; add --force" in refused.output
    dispose_engines()
    forced = run("restore", str(archive), "--force")
    assert "kept the replaced shopcrm.db as " in forced.output
    assert (load_config().instance_path / "secret_key").exists()
    with session_scope(load_config()) as session:
        assert sorted(s.name for s in session.query(Shop)) == ["甲店"]


def test_postgres_and_bad_archives_get_clear_messages(embedded, tmp_path, monkeypatch) -> None:
    embedded("one")
    (tmp_path / "notes.txt").write_text("hello")
    assert "is not a ShopCRM backup" in run("restore", str(tmp_path / "notes.txt"), code=1).output
    monkeypatch.setenv("DATABASE_URL", "postgresql://shop@db.internal/crm")
    for args in (("backup", str(tmp_path / "x.tar.gz")), ("restore", str(tmp_path / "x.tar.gz"))):
        output = run(*args, code=1).output
        assert "PostgreSQL install (DATABASE_URL): back it up with pg_dump" in output
        assert "docs/deployment.md" in output
