"""``AliyunSmsChannel``: ShopCRM's ``sms_aliyun`` channel, Aliyun SMS (Dysmsapi 2017-05-25).

Aliyun sends only approved templates: a message binds to a TemplateCode
(``OutgoingMessage.template_code``) and fills its ``${var}`` placeholders from
``OutgoingMessage.params``; the sign name (签名) comes from the channel's settings.

``send_batch`` sends the messages that share a template with SendBatchSms (up to 100 numbers,
one number once per request, the ids in the OutId, see :mod:`.outid`) and any message alone
with SendSms (OutId = its id). What each outcome becomes:

* ``Code`` ``OK`` → ``accepted``, with the BizId as ``gateway_id``;
* another ``Code`` → :func:`.codes.status_for` (``retry`` or ``rejected`` with the code);
* no connection at all → ``retry`` (nothing left this machine);
* a timeout or a dropped connection once the request was sent → ``unknown``: never sent again
  blindly; :meth:`AliyunSmsChannel.query` asks QuerySendDetails about it later.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Mapping, Sequence

from flask_babel import lazy_gettext as _l

from shopcrm.channels import Channel, MessageEvent, OutgoingMessage, SendResult, SettingsField
from shopcrm_sms_aliyun import codes, outid, pushes
from shopcrm_sms_aliyun.client import (
    DEFAULT_ENDPOINT, DEFAULT_REGION, DEFAULT_TIMEOUT, AliyunError, Credentials, DysmsClient, NotSent,
    OutcomeUnknown, send_details,
)

CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
"""Aliyun's SendDate and report times are Beijing time (no daylight saving)."""

QUERY_DAYS = 2
"""QuerySendDetails looks at today and yesterday (Beijing time) for a message's send date."""

QUERY_PAGES = 5
SHOWS_UP_WITHIN = dt.timedelta(minutes=10)
"""How long after SendSms a message surely shows in QuerySendDetails."""
"""At most this many pages of 50 send details per number and day."""

NO_TEMPLATE = "NO_TEMPLATE"
"""``error_code`` of a message without a TemplateCode: Aliyun sends only approved templates."""


class AliyunSmsChannel(Channel):
    """Aliyun SMS: SendSms / SendBatchSms, QuerySendDetails, SmsReport and SmsUp pushes."""

    name = "sms_aliyun"
    label = "阿里云短信"
    kind = "sms"
    max_batch = 100

    def settings_fields(self) -> Sequence[SettingsField]:
        return [
            SettingsField("access_key_id", _l("AccessKey ID")),
            SettingsField("access_key_secret", _l("AccessKey Secret"), secret=True),
            SettingsField("sign_name", _l("Signature name"),
                          help=_l("An approved signature exactly as in the Aliyun console, without 【】.")),
            SettingsField("endpoint", _l("Endpoint"), required=False, default=DEFAULT_ENDPOINT),
            SettingsField("region", _l("Region"), required=False, default=DEFAULT_REGION),
            SettingsField("timeout", _l("Timeout (seconds)"), required=False, default=str(int(DEFAULT_TIMEOUT))),
        ]

    # -- sending -----------------------------------------------------------------------------

    def send_batch(self, messages: Sequence[OutgoingMessage], settings: Mapping[str, Any]) -> list[SendResult]:
        """One result per message; SendBatchSms for messages that share a template."""
        if len(messages) > self.max_batch:
            raise ValueError(f"{self.name} sends at most {self.max_batch} messages at once")
        client = client_for(settings)
        sign_name = str(settings["sign_name"])
        results: list[SendResult] = []
        by_template: dict[str, list[OutgoingMessage]] = defaultdict(list)
        for m in messages:
            if not m.template_code:
                results.append(SendResult(m.id, "rejected", error_code=NO_TEMPLATE,
                                          error="阿里云短信只能发送审核通过的模板（缺少模板 Code）"))
            else:
                by_template[m.template_code].append(m)
        for template_code, group in by_template.items():
            for request in _batch_requests(group):
                if len(request) == 1:
                    results.append(self._send_one(client, sign_name, request[0]))
                else:
                    results.extend(self._send_many(client, sign_name, template_code, request))
        return results

    def _send_one(self, client: DysmsClient, sign_name: str, m: OutgoingMessage) -> SendResult:
        try:
            answer = client.send_sms(m.to, sign_name, m.template_code or "", m.params, out_id=str(m.id))
        except AliyunError as exc:
            return SendResult(m.id, codes.status_for(exc.code), error_code=exc.code, error=exc.message)
        except NotSent as exc:
            return SendResult(m.id, "retry", error=str(exc))
        except OutcomeUnknown as exc:
            return SendResult(m.id, "unknown", error=str(exc))
        return SendResult(m.id, "accepted", gateway_id=_text(answer.get("BizId")))

    def _send_many(self, client: DysmsClient, sign_name: str, template_code: str,
                   group: Sequence[OutgoingMessage]) -> list[SendResult]:
        try:
            answer = client.send_batch_sms(
                [m.to for m in group], [sign_name] * len(group), template_code,
                [m.params for m in group] if any(m.params for m in group) else None,
                out_id=outid.encode(m.id for m in group),
            )
        except AliyunError as exc:
            if exc.code in codes.PER_NUMBER_CODES:
                # The whole request was refused for one number's sake: nothing was sent, so
                # each message goes alone and gets its own answer.
                return [self._send_one(client, sign_name, m) for m in group]
            status = codes.status_for(exc.code)
            return [SendResult(m.id, status, error_code=exc.code, error=exc.message) for m in group]
        except NotSent as exc:
            return [SendResult(m.id, "retry", error=str(exc)) for m in group]
        except OutcomeUnknown as exc:
            return [SendResult(m.id, "unknown", error=str(exc)) for m in group]
        biz_id = _text(answer.get("BizId"))
        return [SendResult(m.id, "accepted", gateway_id=biz_id) for m in group]

    # -- reconciling -------------------------------------------------------------------------

    def query(self, messages: Sequence[OutgoingMessage], settings: Mapping[str, Any]) -> list[SendResult]:
        """Find each message in QuerySendDetails by its number, today's and yesterday's date
        (Beijing time) and its id in the OutId.

        Found and waiting for or given a delivery receipt (SendStatus 1 or 3) → ``accepted``
        (``error_code`` is the receipt's ErrCode, ``DELIVERED`` once delivered); found and
        failed (SendStatus 2) → ``rejected`` with the ErrCode; the query itself failed →
        ``unknown`` again; not found → ``unknown`` again while the message was handed over less
        than :data:`SHOWS_UP_WITHIN` ago (a send can take a while to show up), ``retry`` after
        that: Aliyun never had it (the worker died before sending), so it is safe to send.
        """
        client = client_for(settings)
        today = dt.datetime.now(CHINA).date()
        return [self._query_one(client, m, today) for m in messages]

    def _query_one(self, client: DysmsClient, m: OutgoingMessage, today: dt.date) -> SendResult:
        for days_back in range(QUERY_DAYS):
            day = today - dt.timedelta(days=days_back)
            try:
                detail = _find_detail(client, m, day)
            except (AliyunError, NotSent, OutcomeUnknown) as exc:
                return SendResult(m.id, "unknown", error=f"QuerySendDetails: {exc}")
            if detail is None:
                continue
            err_code = _text(detail.get("ErrCode")) or None
            if str(detail.get("SendStatus")) == "2":
                return SendResult(m.id, "rejected", error_code=err_code or "FAILED")
            return SendResult(m.id, "accepted", error_code=err_code)
        if m.sent_at is not None and dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - m.sent_at >= SHOWS_UP_WITHIN:
            return SendResult(m.id, "retry", error_code="NOT_FOUND",
                              error=f"QuerySendDetails: not found {SHOWS_UP_WITHIN} after it was handed over")
        return SendResult(m.id, "unknown", error="QuerySendDetails: not found")

    # -- pushes ------------------------------------------------------------------------------

    def parse_callback(self, request: Any, settings: Mapping[str, Any]) -> list[MessageEvent]:
        """SmsReport receipts (``delivered`` / ``failed``) and SmsUp replies (``replied``) of one
        push; items that are not either are left out with a warning."""
        return [push.event for push in pushes.parse(request.get_json(silent=True), self.name)]


def client_for(settings: Mapping[str, Any]) -> DysmsClient:
    """A client for the channel's saved settings."""
    credentials = Credentials(
        access_key_id=str(settings["access_key_id"]),
        access_key_secret=str(settings["access_key_secret"]),
        endpoint=str(settings.get("endpoint") or DEFAULT_ENDPOINT),
        region=str(settings.get("region") or DEFAULT_REGION),
    )
    return DysmsClient(credentials, timeout=float(settings.get("timeout") or DEFAULT_TIMEOUT))


def _batch_requests(group: Sequence[OutgoingMessage]) -> list[list[OutgoingMessage]]:
    """Split messages of one template into SendBatchSms requests: each number at most once per
    request (a receipt names the number, not the message) and an OutId that fits."""
    requests: list[list[OutgoingMessage]] = []
    for m in group:
        for request in requests:
            if all(other.to != m.to for other in request):
                request.append(m)
                break
        else:
            requests.append([m])
    fitted: list[list[OutgoingMessage]] = []
    while requests:
        request = requests.pop(0)
        if len(request) > 1 and len(outid.encode(m.id for m in request)) > outid.MAX_LENGTH:
            half = len(request) // 2
            requests[:0] = [request[:half], request[half:]]
        else:
            fitted.append(request)
    return fitted


def _find_detail(client: DysmsClient, m: OutgoingMessage, day: dt.date) -> dict[str, Any] | None:
    page = 1
    while page <= QUERY_PAGES:
        answer = client.query_send_details(m.to, day, page=page)
        details = send_details(answer)
        for detail in details:
            if m.id in outid.decode(_text(detail.get("OutId"))):
                return detail
        total = int(answer.get("TotalCount") or 0)
        if page * 50 >= total or not details:
            return None
        page += 1
    return None


def _text(value: object) -> str | None:
    return None if value is None else str(value)
