"""A channel: hand each batch of messages to a web service of your own, as one JSON POST.

The service gets ``{"messages": [{"id": 7, "to": "13800000001", "text": "..."}]}`` with the
header ``Authorization: Bearer <token>``, and answers with what it did with each:
``{"results": [{"id": 7, "status": "ok", "ref": "abc"}, {"id": 8, "status": "refused",
"reason": "blacklisted"}]}``. ``429`` or ``503`` means it took nothing: try again later.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Mapping, Sequence

from flask_babel import lazy_gettext as _l

from shopcrm import hookimpl
from shopcrm.channels import Channel, OutgoingMessage, SendResult, SettingsField

NOTHING_TAKEN = {429, 503}


class Webhook(Channel):
    name = "webhook"
    label = _l("Web service (JSON POST)")
    kind = "sms"
    max_batch = 50

    def settings_fields(self) -> list[SettingsField]:
        return [
            SettingsField("url", _l("Service URL"), help=_l("Each batch is POSTed here as JSON")),
            SettingsField("token", _l("Token"), secret=True, required=False,
                          help=_l("Sent as 'Authorization: Bearer <token>'")),
        ]

    def send_batch(self, messages: Sequence[OutgoingMessage], settings: Mapping[str, Any]) -> list[SendResult]:
        body = {"messages": [{"id": m.id, "to": m.to, "text": m.text} for m in messages]}
        request = urllib.request.Request(settings["url"], data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        if settings.get("token"):
            request.add_header("Authorization", f"Bearer {settings['token']}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = json.load(response)
            results = {int(r["id"]): r for r in answer["results"]}
        except urllib.error.HTTPError as exc:  # the service answered, with an error
            if exc.code in NOTHING_TAKEN:
                status = "retry"
            else:  # a 4xx is final; after a 5xx it may have sent some of them
                status = "rejected" if exc.code < 500 else "unknown"
            return [SendResult(m.id, status, error_code=f"HTTP {exc.code}") for m in messages]
        except urllib.error.URLError as exc:
            # refused: the request never arrived; anything else (a timeout ...) it may have
            status = "retry" if isinstance(exc.reason, ConnectionRefusedError) else "unknown"
            return [SendResult(m.id, status, error=str(exc.reason)) for m in messages]
        except (OSError, ValueError, KeyError, TypeError) as exc:  # cut off, or not the answer agreed on
            return [SendResult(m.id, "unknown", error=f"unreadable answer: {exc}") for m in messages]
        return [result(m, results.get(m.id)) for m in messages]


def result(message: OutgoingMessage, answer: Mapping[str, Any] | None) -> SendResult:
    if answer is None:
        return SendResult(message.id, "unknown", error="not in the answer")
    if answer.get("status") == "ok":
        return SendResult(message.id, "accepted", gateway_id=str(answer.get("ref") or message.id))
    return SendResult(message.id, "rejected", error_code=str(answer.get("status")), error=answer.get("reason"))


@hookimpl
def register_channels() -> list[Channel]:
    return [Webhook()]
