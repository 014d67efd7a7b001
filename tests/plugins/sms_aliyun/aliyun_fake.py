"""A local Dysmsapi 2017-05-25 over real HTTP, for the channel's tests.

It checks every request's signature with its own, independent implementation of the RPC
signature v1 (the Java SDK's recipe: URL-encode as forms do, then ``+`` → ``%20``,
``*`` → ``%2A``, ``%7E`` → ``~``), refuses a bad one as Aliyun does (HTTP 400,
``SignatureDoesNotMatch``), and answers SendSms, SendBatchSms and QuerySendDetails in the
documented shapes. A test can make it answer error codes, be slow, or see what was sent.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit

ACCESS_KEY_ID = "LTAI-test-id"
ACCESS_KEY_SECRET = "test-secret-不要外传"
CHINA = dt.timezone(dt.timedelta(hours=8))
COMMON = ("AccessKeyId", "Action", "Format", "RegionId", "SignatureMethod", "SignatureNonce",
          "SignatureVersion", "Timestamp", "Version")


def java_sdk_encode(value: str) -> str:
    return quote_plus(value, encoding="utf-8").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def expected_signature(params: dict[str, str], secret: str) -> str:
    query = "&".join(f"{java_sdk_encode(k)}={java_sdk_encode(params[k])}"
                     for k in sorted(params) if k != "Signature")
    to_sign = "GET&" + java_sdk_encode("/") + "&" + java_sdk_encode(query)
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


@dataclass
class Submission:
    """One number of one accepted send."""

    action: str
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, Any]
    out_id: str | None
    biz_id: str
    sent_at: dt.datetime
    send_status: int = 3
    err_code: str = "DELIVERED"


@dataclass
class FakeDysmsapi:
    """What the fake server knows and what a test can tell it."""

    secret: str = ACCESS_KEY_SECRET
    next_codes: list[str] = field(default_factory=list)
    """Codes to answer the next sends with, one per request (``Throttling.User`` ...)."""
    bad_numbers: set[str] = field(default_factory=set)
    """Numbers refused with isv.MOBILE_NUMBER_ILLEGAL (a batch holding one is refused whole)."""
    delay: float = 0.0
    """Seconds to wait, after recording a send, before answering."""
    submissions: list[Submission] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        request_id = str(uuid.uuid4()).upper()
        with self.lock:
            self.requests.append(params)
        missing = [p for p in COMMON if p not in params]
        if missing or params.get("Signature") is None:
            return 400, {"RequestId": request_id, "HostId": "dysmsapi.aliyuncs.com",
                         "Code": "MissingParameter", "Message": f"missing {missing or ['Signature']}"}
        if params["AccessKeyId"] != ACCESS_KEY_ID:
            return 404, {"RequestId": request_id, "HostId": "dysmsapi.aliyuncs.com",
                         "Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}
        if not hmac.compare_digest(params["Signature"], expected_signature(params, self.secret)):
            return 400, {"RequestId": request_id, "HostId": "dysmsapi.aliyuncs.com",
                         "Code": "SignatureDoesNotMatch",
                         "Message": "Specified signature is not matched with our calculation.",
                         "Recommend": "https://next.api.aliyun.com/troubleshoot"}
        action = params["Action"]
        if action == "QuerySendDetails":
            return 200, self.query(params, request_id)
        if action not in ("SendSms", "SendBatchSms"):
            return 400, {"RequestId": request_id, "Code": "InvalidAction.NotFound", "Message": action}
        with self.lock:
            code = self.next_codes.pop(0) if self.next_codes else None
        if code is not None:
            status = 400 if code.startswith("Throttling") else 200
            return status, {"RequestId": request_id, "Code": code, "Message": f"{code} (fake)"}
        if action == "SendSms":
            phones = params["PhoneNumbers"].split(",")
            signs = [params["SignName"]] * len(phones)
            values = [json.loads(params["TemplateParam"]) if "TemplateParam" in params else {}] * len(phones)
        else:
            phones = json.loads(params["PhoneNumberJson"])
            signs = json.loads(params["SignNameJson"])
            values = json.loads(params["TemplateParamJson"]) if "TemplateParamJson" in params else [{}] * len(phones)
            if not 1 <= len(phones) <= 100 or len(signs) != len(phones) or len(values) != len(phones):
                return 200, {"RequestId": request_id, "Code": "isv.INVALID_PARAMETERS",
                             "Message": "参数异常"}
        if any(p in self.bad_numbers for p in phones):
            return 200, {"RequestId": request_id, "Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        biz_id = f"{uuid.uuid4().int % 10**18}^0"
        now = dt.datetime.now(CHINA).replace(microsecond=0, tzinfo=None)
        with self.lock:
            for phone, sign, value in zip(phones, signs, values):
                self.submissions.append(Submission(action, phone, sign, params["TemplateCode"], value,
                                                   params.get("OutId"), biz_id, now))
        if self.delay:
            time.sleep(self.delay)
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}

    def query(self, params: dict[str, str], request_id: str) -> dict[str, Any]:
        day = dt.datetime.strptime(params["SendDate"], "%Y%m%d").date()
        size, page = int(params["PageSize"]), int(params["CurrentPage"])
        with self.lock:
            found = [s for s in self.submissions if s.phone == params["PhoneNumber"]
                     and s.sent_at.date() == day and params.get("BizId") in (None, s.biz_id)]
        shown = found[(page - 1) * size: page * size]
        return {
            "Code": "OK", "Message": "OK", "RequestId": request_id, "TotalCount": len(found),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": [{
                "PhoneNum": s.phone, "SendStatus": s.send_status, "ErrCode": s.err_code,
                "TemplateCode": s.template_code, "Content": f"【{s.sign_name}】{json.dumps(s.params, ensure_ascii=False)}",
                "SendDate": s.sent_at.strftime("%Y-%m-%d %H:%M:%S"),
                "ReceiveDate": s.sent_at.strftime("%Y-%m-%d %H:%M:%S"), "OutId": s.out_id or "",
            } for s in shown]},
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeDysmsapi

    def do_GET(self) -> None:  # noqa: N802
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        status, body = self.server.fake.handle(params)  # type: ignore[attr-defined]
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeServer:
    """The fake on 127.0.0.1, serving in a thread; ``endpoint`` is its URL."""

    def __init__(self, fake: FakeDysmsapi) -> None:
        self.fake = fake
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = fake  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FakeServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
