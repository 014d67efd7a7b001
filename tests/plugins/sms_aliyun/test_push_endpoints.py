"""The push endpoints: the token, the answer Aliyun expects, events handed on once."""
from __future__ import annotations

import json
from typing import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopcrm import hookimpl
from shopcrm.channels import MessageEvent
from shopcrm.models import OptOut, Shop
from shopcrm.plugins import get_plugin_manager
from shopcrm.shops import default_shop
from shopcrm_sms_aliyun import tokens
from shopcrm_sms_aliyun.models import ReceivedPush
from tests.plugins.sms_aliyun.test_pushes import FAILED, REPORT, UP

ACK = {"code": 0, "msg": "接收成功"}


class Recorder:
    """A plugin that keeps every ``on_message_event`` it is given."""

    def __init__(self) -> None:
        self.events: list[MessageEvent] = []

    @hookimpl
    def on_message_event(self, event: MessageEvent) -> None:
        self.events.append(event)


@pytest.fixture
def csrf_app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = True  # the endpoints must work with CSRF on
    return app


@pytest.fixture
def recorder(csrf_app: Flask) -> Iterator[Recorder]:
    recorder = Recorder()
    get_plugin_manager().register(recorder, name="test_recorder")
    yield recorder
    get_plugin_manager().unregister(name="test_recorder")


@pytest.fixture
def token(session: Session) -> str:
    shop = default_shop(session)
    token = tokens.callback_token(session, shop.id)
    session.commit()
    return token


@pytest.fixture
def web(csrf_app: Flask) -> FlaskClient:
    return csrf_app.test_client()


def test_the_token_is_made_once_and_finds_its_shop(session: Session, token: str) -> None:
    shop = default_shop(session)
    assert len(token) >= 40
    assert tokens.callback_token(session, shop.id) == token
    other = Shop(name="二店", sms_signature="")
    session.add(other)
    session.flush()
    second = tokens.callback_token(session, other.id)
    session.commit()
    assert second != token
    assert tokens.shop_for_token(session, token) == shop.id
    assert tokens.shop_for_token(session, second) == other.id
    assert tokens.shop_for_token(session, token + "x") is None
    assert tokens.shop_for_token(session, "") is None


def test_a_receipt_push_is_acknowledged_and_handed_on(web, token, recorder) -> None:
    response = web.post(f"/plugins/sms_aliyun/report/{token}", json=[REPORT, FAILED])
    assert response.status_code == 200
    assert response.get_json() == ACK
    assert [(e.kind, e.message_id) for e in recorder.events] == [("delivered", 1234), ("failed", 1235)]
    assert recorder.events[1].error_code == "MK:0001"


def test_a_reply_push_is_acknowledged_and_handed_on(web, token, recorder, session: Session) -> None:
    response = web.post(f"/plugins/sms_aliyun/up/{token}", json=[UP])
    assert response.get_json() == ACK
    shop_id = default_shop(session).id
    assert [(e.kind, e.text, e.mobile, e.shop_id) for e in recorder.events] == [
        ("replied", "退订", "13800138000", shop_id)]
    # The core files the reply for the token's shop and, 退订 being a keyword, opts the number out.
    session.expire_all()
    assert session.execute(select(OptOut.shop_id, OptOut.channel, OptOut.mobile)).all() == [
        (shop_id, "sms_aliyun", "13800138000")]


@pytest.mark.parametrize("path", ["report", "up"])
def test_a_wrong_token_is_not_found(web, token, recorder, path: str) -> None:
    assert web.post(f"/plugins/sms_aliyun/{path}/{token[:-1]}", json=[REPORT, UP]).status_code == 404
    assert web.post(f"/plugins/sms_aliyun/{path}/nothing", json=[REPORT, UP]).status_code == 404
    assert recorder.events == []


def test_no_token_saved_means_every_push_is_not_found(web, recorder) -> None:
    assert web.post("/plugins/sms_aliyun/report/anything", json=[REPORT]).status_code == 404


def test_a_push_sent_again_is_not_handed_on_again(web, token, recorder, session: Session) -> None:
    assert web.post(f"/plugins/sms_aliyun/report/{token}", json=[REPORT]).get_json() == ACK
    again = web.post(f"/plugins/sms_aliyun/report/{token}", json=[REPORT, FAILED])
    assert again.get_json() == ACK
    assert web.post(f"/plugins/sms_aliyun/up/{token}", json=[UP, UP]).get_json() == ACK
    assert [(e.kind, e.message_id) for e in recorder.events] == [
        ("delivered", 1234), ("failed", 1235), ("replied", None)]
    assert session.scalar(select(func.count()).select_from(ReceivedPush)) == 3


def test_a_failed_receipt_after_a_delivered_one_is_a_new_event(web, token, recorder) -> None:
    web.post(f"/plugins/sms_aliyun/report/{token}", json=[REPORT])
    web.post(f"/plugins/sms_aliyun/report/{token}", json=[{**REPORT, "success": False, "err_code": "X"}])
    assert [e.kind for e in recorder.events] == ["delivered", "failed"]


def test_malformed_items_are_skipped_and_the_push_still_acknowledged(web, token, recorder) -> None:
    response = web.post(f"/plugins/sms_aliyun/report/{token}", json=[{"nonsense": 1}, REPORT, "x"])
    assert response.get_json() == ACK
    assert [e.message_id for e in recorder.events] == [1234]
    garbage = web.post(f"/plugins/sms_aliyun/report/{token}", data="not json",
                       content_type="application/json")
    assert garbage.status_code == 200 and garbage.get_json() == ACK


def test_the_endpoints_take_only_post(web, token) -> None:
    assert web.get(f"/plugins/sms_aliyun/report/{token}").status_code == 405


def test_other_pages_still_need_a_log_in_and_csrf(web, csrf_app: Flask, login_as, make_user) -> None:
    assert web.get("/").status_code == 302  # to the log-in page
    signed_in = login_as(make_user("boss", "admin"))
    assert signed_in.post("/account/language", data={"locale": "en"}).status_code == 400  # no CSRF token
    from shopcrm.web import csrf

    assert {bp.name for bp in csrf._exempt_blueprints} == {"api", "sms_aliyun"}


def test_the_command_prints_the_addresses_that_work(web, recorder, config) -> None:
    from click.testing import CliRunner

    from shopcrm.cli import build_cli

    result = CliRunner().invoke(build_cli(), ["sms_aliyun", "callback-urls", "https://crm.example.com/", "--json"])
    assert result.exit_code == 0, result.output
    urls = json.loads(result.output)
    assert urls["report"].startswith("https://crm.example.com/plugins/sms_aliyun/report/")
    again = json.loads(CliRunner().invoke(build_cli(), ["sms_aliyun", "callback-urls", "https://x", "--json"]).output)
    assert again["up"].rsplit("/", 1)[1] == urls["report"].rsplit("/", 1)[1]  # one token, kept
    path = urls["up"].removeprefix("https://crm.example.com")
    assert web.post(path, json=[UP]).get_json() == ACK
    assert [e.kind for e in recorder.events] == ["replied"]
