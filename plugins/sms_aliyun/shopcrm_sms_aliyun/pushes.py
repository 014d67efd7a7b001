"""Reading Aliyun's HTTP pushes: SmsReport (delivery receipts) and SmsUp (replies).

Both are a JSON list. A receipt::

    {"phone_number": "13800138000", "send_time": "2026-11-29 10:00:00",
     "report_time": "2026-11-29 10:00:05", "success": true, "err_code": "DELIVERED",
     "err_msg": "用户接收成功", "sms_size": "1", "biz_id": "932702304080415357^0",
     "out_id": "1234"}

and a reply::

    {"phone_number": "13800138000", "send_time": "2026-11-29 10:05:00", "content": "R",
     "sign_name": "某某旗舰店", "dest_code": "1234", "sequence_id": 1234567890}

Each good item becomes a :class:`Push`: the :class:`~shopcrm.channels.MessageEvent` and the
key that recognises the same push sent twice. An item that is not an object, or lacks the
fields that identify it, is left out with a warning naming only its position (never the
number or the text).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Literal

from shopcrm.channels import MessageEvent
from shopcrm_sms_aliyun import outid

log = logging.getLogger(__name__)

CHINA = dt.timezone(dt.timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

PushKind = Literal["report", "up"]


@dataclass(frozen=True, slots=True)
class Push:
    """One item of a push: its event and what makes it unique (``kind`` and ``key``)."""

    kind: str
    key: str
    event: MessageEvent


def parse(payload: Any, channel: str, kind: PushKind | None = None) -> list[Push]:
    """The pushes in ``payload`` (a JSON list); ``kind`` says which push it is, or ``None`` to
    tell each item by its fields."""
    if not isinstance(payload, list):
        log.warning("%s push ignored: the body is not a JSON list", channel)
        return []
    result: list[Push] = []
    for position, item in enumerate(payload):
        item_kind = kind or _kind_of(item)
        push = None
        if item_kind == "report":
            push = _report(item, channel)
        elif item_kind == "up":
            push = _up(item, channel)
        if push is None:
            log.warning("%s push: item %d ignored, it is not a well-formed %s",
                        channel, position, "SmsUp reply" if item_kind == "up" else "SmsReport receipt")
        else:
            result.append(push)
    return result


def _kind_of(item: Any) -> PushKind | None:
    if isinstance(item, dict):
        if "success" in item or "report_time" in item:
            return "report"
        if "content" in item or "sequence_id" in item:
            return "up"
    return None


def _report(item: Any, channel: str) -> Push | None:
    if not isinstance(item, dict):
        return None
    phone, biz_id, success = item.get("phone_number"), item.get("biz_id"), item.get("success")
    out_id = item.get("out_id")
    if not _is_text(phone) or not _is_text(biz_id) or not isinstance(success, bool):
        return None
    if out_id is not None and not _is_text(out_id):
        return None
    kind: Literal["delivered", "failed"] = "delivered" if success else "failed"
    err_code = item.get("err_code")
    event = MessageEvent(
        kind=kind,
        channel=channel,
        message_id=outid.single(str(out_id) if out_id is not None else None),
        gateway_id=str(biz_id),
        mobile=str(phone),
        error_code=None if success or err_code is None else str(err_code),
        occurred_at=_time(item.get("report_time")) or _time(item.get("send_time")),
    )
    return Push(kind, f"{biz_id}|{out_id or ''}|{phone}", event)


def _up(item: Any, channel: str) -> Push | None:
    if not isinstance(item, dict):
        return None
    phone, content, sequence_id = item.get("phone_number"), item.get("content"), item.get("sequence_id")
    if not _is_text(phone) or not isinstance(content, str) or not _is_text(sequence_id):
        return None
    event = MessageEvent(kind="replied", channel=channel, mobile=str(phone), text=content,
                         occurred_at=_time(item.get("send_time")))
    return Push("replied", f"{sequence_id}|{phone}", event)


def _is_text(value: Any) -> bool:
    """A non-empty string or an integer (Aliyun sends some ids as numbers)."""
    if isinstance(value, bool):
        return False
    return (isinstance(value, str) and value.strip() != "") or isinstance(value, int)


def _time(value: Any) -> dt.datetime | None:
    """A Beijing ``YYYY-MM-DD HH:MM:SS`` as the naive UTC time ShopCRM stores."""
    if not isinstance(value, str):
        return None
    try:
        local = dt.datetime.strptime(value, TIME_FORMAT).replace(tzinfo=CHINA)
    except ValueError:
        return None
    return local.astimezone(dt.UTC).replace(tzinfo=None)
