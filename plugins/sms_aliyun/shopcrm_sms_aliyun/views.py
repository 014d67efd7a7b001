"""The push endpoints Aliyun calls: ``/plugins/sms_aliyun/report/<token>`` (SmsReport) and
``/plugins/sms_aliyun/up/<token>`` (SmsUp).

They are open to callers without a log-in and exempt from CSRF (Aliyun has neither); the
token in the address is the credential (:mod:`.tokens`): a wrong one is a 404, as if the
address did not exist. A good push is answered ``{"code":0,"msg":"接收成功"}`` as soon as it is
read, and each new item is handed to the core and the other plugins through the
``on_message_event`` hook, in the request; an item already received (same kind and key, see
:mod:`.models`) is not handed on again, since Aliyun repeats a push it thinks was lost. Moving
that hand-over into a job is up to the core's receipt processing: the hook call is the one
place to change.
"""
from __future__ import annotations

import dataclasses

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shopcrm.plugins import call_each
from shopcrm.web.access import public
from shopcrm.web.database import db
from shopcrm_sms_aliyun import pushes, tokens
from shopcrm_sms_aliyun.models import ReceivedPush

CHANNEL = "sms_aliyun"
ACK = {"code": 0, "msg": "接收成功"}
"""The answer Aliyun expects; anything else makes it push again."""

bp = Blueprint("sms_aliyun", __name__)


@bp.post("/report/<token>")
@public
def report(token: str) -> ResponseReturnValue:
    """SmsReport: delivery receipts."""
    return _receive(token, "report")


@bp.post("/up/<token>")
@public
def up(token: str) -> ResponseReturnValue:
    """SmsUp: customers' replies."""
    return _receive(token, "up")


def _receive(token: str, kind: pushes.PushKind) -> ResponseReturnValue:
    session = db()
    shop_id = tokens.shop_for_token(session, token)
    if shop_id is None:
        abort(404)
    new = [push for push in pushes.parse(request.get_json(silent=True), CHANNEL, kind)
           if _first_time(session, shop_id, push)]
    session.commit()
    for push in new:
        event = dataclasses.replace(push.event, shop_id=shop_id)
        for _plugin, _result in call_each("on_message_event", event=event):
            pass
    return jsonify(ACK)


def _first_time(session: Session, shop_id: int, push: pushes.Push) -> bool:
    """Record ``push``; ``False`` when it was received before."""
    try:
        with session.begin_nested():
            session.add(ReceivedPush(shop_id=shop_id, kind=push.kind, key=push.key[:400]))
    except IntegrityError:
        return False
    return True
