"""The channel example against a real HTTP server: a care message goes out through the outbox
as one JSON POST with the token; each answer of the service maps onto the right status."""
from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest

from shopcrm import channel_settings, outbox
from shopcrm.automations import fire
from shopcrm.channels import OutgoingMessage
from shopcrm.config import Config
from shopcrm.db import session_scope
from shopcrm.registry import get_registry
from shopcrm.sources import OrderStatus as S
from automation_support import T0, event, ingest, make_care_shop, messages, record, switch_on


class Service:
    """A web service that records each request and answers as told (``answer(body) -> (code, body)``)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer: Callable[[dict[str, Any]], tuple[int, bytes]] = self.all_ok
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                service.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                code, reply = service.answer(body)
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    @staticmethod
    def all_ok(body: dict[str, Any]) -> tuple[int, bytes]:
        results = [{"id": m["id"], "status": "ok", "ref": f"ref-{m['id']}"} for m in body["messages"]]
        return 200, json.dumps({"results": results}).encode()


@pytest.fixture
def service() -> Iterator[Service]:
    service = Service()
    thread = threading.Thread(target=service.server.serve_forever, daemon=True)
    thread.start()
    yield service
    service.server.shutdown()
    service.server.server_close()
    thread.join()


def test_a_care_message_is_posted_once_through_the_outbox(load_examples: Callable[..., None], config: Config,
                                                          service: Service) -> None:
    load_examples("webhook", "thank_you")
    assert get_registry().channels.by_plugin("webhook") == ["webhook"]
    shop_id = make_care_shop(config)
    with session_scope(config) as session:
        assert channel_settings.save(session, config, "webhook", shop_id, {"url": service.url, "token": "s3cret"}) == []
    switch_on(config, shop_id, "thank_you", channel="webhook")
    ingest(config, shop_id, record("A1", S.SIGNED, paid_at=T0, shipped_at=T0, signed_at=T0))
    fire(config, event(config, "A1", "order.signed", S.SHIPPED, T0), now=T0)
    due = T0 + dt.timedelta(days=3, minutes=1)
    assert outbox.send_due(config, now=due).sent == 1
    assert outbox.send_due(config, now=due).sent == 0
    [message] = messages(config)
    assert (message.status, message.gateway_id) == ("sent", f"ref-{message.id}")
    [request] = service.requests
    assert request["auth"] == "Bearer s3cret" and request["path"] == "/sms"
    assert request["body"] == {"messages": [{"id": message.id, "to": "13800000001", "text": message.text}]}


BATCH = [OutgoingMessage(1, "13800000001", "你好"), OutgoingMessage(2, "13800000002", "你好")]


def _send(service: Service, url: str | None = None) -> list[tuple[str, str | None]]:
    channel = get_registry().channels["webhook"]
    return [(r.status, r.gateway_id or r.error_code) for r in channel.send_batch(BATCH, {"url": url or service.url})]


def test_each_answer_of_the_service_maps_onto_a_status(load_examples: Callable[..., None], service: Service) -> None:
    load_examples("webhook")
    service.answer = lambda body: (200, json.dumps({"results": [
        {"id": 1, "status": "ok", "ref": "r1"}, {"id": 2, "status": "refused", "reason": "blacklisted"}]}).encode())
    assert _send(service) == [("accepted", "r1"), ("rejected", "refused")]
    assert service.requests[-1]["auth"] is None  # no token set, no header
    service.answer = lambda body: (200, json.dumps({"results": [{"id": 1, "status": "ok"}]}).encode())
    assert _send(service) == [("accepted", "1"), ("unknown", None)]  # 2 is missing from the answer
    for code, status in ((429, "retry"), (503, "retry"), (400, "rejected"), (500, "unknown")):
        service.answer = lambda body, code=code: (code, b"{}")
        assert _send(service) == [(status, f"HTTP {code}")] * 2
    service.answer = lambda body: (200, b"<html>not json</html>")
    assert [status for status, _ in _send(service)] == ["unknown", "unknown"]


def test_a_service_that_is_not_listening_gets_the_batch_again_later(load_examples: Callable[..., None],
                                                                    service: Service) -> None:
    load_examples("webhook")
    with socket.socket() as probe:  # a port with nothing behind it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert [status for status, _ in _send(service, f"http://127.0.0.1:{port}/sms")] == ["retry", "retry"]
