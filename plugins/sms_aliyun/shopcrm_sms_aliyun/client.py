"""A small HTTP client for Dysmsapi 2017-05-25: SendSms, SendBatchSms, QuerySendDetails.

Every call is a signed GET (:mod:`.signing`) with the common parameters, answered with JSON.
A call ends one of three ways:

* a JSON answer whose ``Code`` is ``OK``: returned as a dict;
* an answer with any other ``Code`` (an HTTP error status included): :class:`AliyunError`,
  the gateway has definitely not taken the request;
* no usable answer: :class:`NotSent` when the connection could not be opened (nothing
  left this machine), :class:`OutcomeUnknown` when the request may have arrived (a timeout,
  a dropped connection, a garbled answer).

The AccessKeySecret is only used to sign; it is never logged or put in an error message.
"""
from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from shopcrm_sms_aliyun import signing

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com"
DEFAULT_REGION = "cn-hangzhou"
DEFAULT_TIMEOUT = 10.0
API_VERSION = "2017-05-25"


class AliyunError(Exception):
    """The gateway answered with a ``Code`` other than ``OK``."""

    def __init__(self, code: str, message: str = "", request_id: str | None = None) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.request_id = request_id


class NotSent(Exception):
    """The request never reached the gateway (no connection): safe to try again."""


class OutcomeUnknown(Exception):
    """The request may or may not have reached the gateway: do not send it again blindly."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """What every call needs: the access key, the endpoint and the region."""

    access_key_id: str
    access_key_secret: str
    endpoint: str = DEFAULT_ENDPOINT
    region: str = DEFAULT_REGION

    def __repr__(self) -> str:  # never show the secret
        return f"Credentials(access_key_id={self.access_key_id!r}, endpoint={self.endpoint!r})"


def _timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class DysmsClient:
    """Calls Dysmsapi at ``credentials.endpoint``, waiting at most ``timeout`` seconds."""

    def __init__(self, credentials: Credentials, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.credentials = credentials
        self.timeout = timeout

    def common_parameters(self, action: str) -> dict[str, str]:
        """The parameters every request carries, ``Signature`` aside."""
        return {
            "AccessKeyId": self.credentials.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.credentials.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": _timestamp(),
            "Version": API_VERSION,
        }

    def call(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        """Sign and send one request; the JSON answer when its ``Code`` is ``OK``."""
        query = {**self.common_parameters(action), **{k: v for k, v in params.items() if v is not None}}
        url = f"{self.credentials.endpoint.rstrip('/')}/?{signing.signed_query(query, self.credentials.access_key_secret)}"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read()
            answer = _json(body)
            if isinstance(answer, dict) and answer.get("Code"):
                raise AliyunError(str(answer["Code"]), str(answer.get("Message", "")),
                                  answer.get("RequestId")) from None
            raise OutcomeUnknown(f"{action}: HTTP {exc.code} without an error code") from None
        except urllib.error.URLError as exc:
            if _never_connected(exc.reason):
                raise NotSent(f"{action}: could not connect to {self.credentials.endpoint}: {exc.reason}") from None
            raise OutcomeUnknown(f"{action}: {exc.reason}") from None
        except (TimeoutError, socket.timeout, ConnectionError, OSError) as exc:
            raise OutcomeUnknown(f"{action}: {exc.__class__.__name__}: {exc}") from None
        answer = _json(body)
        if not isinstance(answer, dict) or "Code" not in answer:
            raise OutcomeUnknown(f"{action}: the answer is not Dysmsapi JSON")
        if answer["Code"] != "OK":
            raise AliyunError(str(answer["Code"]), str(answer.get("Message", "")), answer.get("RequestId"))
        return answer

    def send_sms(self, phone: str, sign_name: str, template_code: str,
                 template_param: Mapping[str, str] | None = None, out_id: str | None = None) -> dict[str, Any]:
        """SendSms: one message; the answer carries its ``BizId``."""
        return self.call("SendSms", {
            "PhoneNumbers": phone,
            "SignName": sign_name,
            "TemplateCode": template_code,
            "TemplateParam": _dumps(template_param) if template_param else None,  # type: ignore[dict-item]
            "OutId": out_id,  # type: ignore[dict-item]
        })

    def send_batch_sms(self, phones: Sequence[str], sign_names: Sequence[str], template_code: str,
                       template_params: Sequence[Mapping[str, str]] | None = None,
                       out_id: str | None = None) -> dict[str, Any]:
        """SendBatchSms: up to 100 numbers with one template; one ``BizId`` for the lot."""
        if not 1 <= len(phones) <= 100 or len(sign_names) != len(phones):
            raise ValueError("SendBatchSms takes 1 to 100 numbers and one sign name per number")
        if template_params is not None and len(template_params) != len(phones):
            raise ValueError("SendBatchSms takes one set of template parameters per number")
        return self.call("SendBatchSms", {
            "PhoneNumberJson": _dumps(list(phones)),
            "SignNameJson": _dumps(list(sign_names)),
            "TemplateCode": template_code,
            "TemplateParamJson": _dumps([dict(p) for p in template_params]) if template_params else None,  # type: ignore[dict-item]
            "OutId": out_id,  # type: ignore[dict-item]
        })

    def query_send_details(self, phone: str, send_date: dt.date, biz_id: str | None = None,
                           page_size: int = 50, page: int = 1) -> dict[str, Any]:
        """QuerySendDetails: what became of messages sent to ``phone`` on ``send_date``."""
        return self.call("QuerySendDetails", {
            "PhoneNumber": phone,
            "SendDate": send_date.strftime("%Y%m%d"),
            "BizId": biz_id,  # type: ignore[dict-item]
            "PageSize": str(page_size),
            "CurrentPage": str(page),
        })


def send_details(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``SmsSendDetailDTO`` items of a QuerySendDetails answer."""
    dtos = answer.get("SmsSendDetailDTOs") or {}
    items = dtos.get("SmsSendDetailDTO") if isinstance(dtos, dict) else dtos
    return [i for i in items or [] if isinstance(i, dict)]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _never_connected(reason: object) -> bool:
    """Errors raised before a connection existed: refused, unreachable, no such host."""
    if isinstance(reason, (ConnectionRefusedError, socket.gaierror, ssl.SSLCertVerificationError)):
        return True
    return isinstance(reason, OSError) and reason.errno in (101, 113)  # ENETUNREACH, EHOSTUNREACH
