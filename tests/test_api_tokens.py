"""API tokens: shown once, stored hashed, revocable; and `shopcrm tokens`."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from shopcrm.api_tokens import LAST_USED_STEP, NewToken, create_token, revoke_token, verify_token
from shopcrm.cli import build_cli
from shopcrm.db import session_scope, utcnow
from shopcrm.models import ApiToken, Shop


@pytest.fixture
def made(session) -> tuple[Shop, NewToken, ApiToken]:
    """A shop, a token made for it, and the token's row."""
    shop = Shop(name="t")
    session.add(shop)
    session.flush()
    new = create_token(session, shop.id, "ERP")
    return shop, new, session.get(ApiToken, new.id)


def test_tokens_are_stored_hashed_and_verified(session, made):
    shop, new, row = made
    assert new.token.startswith("scrm_") and new.token not in (row.token_hash, row.prefix)
    assert verify_token(session, new.token).shop_id == shop.id
    assert row.last_used_at is not None
    assert verify_token(session, new.token + "x") is None
    assert verify_token(session, "Bearer nonsense") is None
    assert revoke_token(session, new.id, shop.id)
    assert verify_token(session, new.token) is None
    assert not revoke_token(session, new.id, shop.id)


def test_last_use_is_noted_once_a_minute(session, made):
    _shop, new, row = made
    recent = utcnow() - LAST_USED_STEP / 2
    row.last_used_at = recent
    verify_token(session, new.token)
    assert row.last_used_at == recent and not session.is_modified(row)
    stale = utcnow() - LAST_USED_STEP - dt.timedelta(seconds=1)
    row.last_used_at = stale
    session.flush()
    verify_token(session, new.token)
    assert row.last_used_at > stale + LAST_USED_STEP


def test_cli_create_list_revoke(config):
    with session_scope(config) as session:
        session.add(Shop(name="店"))
    runner = CliRunner()
    created = runner.invoke(build_cli(), ["tokens", "create", "订单同步"])
    assert created.exit_code == 0
    token = created.output.splitlines()[0]
    listed = json.loads(runner.invoke(build_cli(), ["tokens", "list", "--json"]).output)
    assert [(t["name"], t["revoked"]) for t in listed] == [("订单同步", False)]
    assert token not in json.dumps(listed) and listed[0]["prefix"] == token[:11] + "…"
    assert runner.invoke(build_cli(), ["tokens", "revoke", str(listed[0]["id"])]).exit_code == 0
    with session_scope(config) as session:
        assert verify_token(session, token) is None
    again = runner.invoke(build_cli(), ["tokens", "revoke", str(listed[0]["id"])])
    assert again.exit_code == 1 and "no live token" in again.output
    assert "needs a name" in runner.invoke(build_cli(), ["tokens", "create", " "]).output
