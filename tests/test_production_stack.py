"""The production set-up end to end: ``shopcrm serve`` (gunicorn, two web processes), two
``shopcrm worker`` processes and ``shopcrm scheduler``, on PostgreSQL and Redis, each process
with an instance folder of its own (as on separate machines) and the key they share in
``SHOPCRM_SECRET_KEY``.

A shop system pushes orders over HTTP to ``/api/v1/orders`` (and resends a batch, as after a
timeout); the paid-thanks automation, switched on with no delay, thanks each paid order; a
campaign goes to every customer. The SMS sandbox's log (``shopcrm sms-mock log --json``) must
then hold, for every customer, exactly one campaign message and, for every paid order, exactly
one thanks: nothing missing, nothing doubled.

Runs only where ``DATABASE_URL`` is PostgreSQL and ``REDIS_URL`` is set (CI sets both); it makes
a database of its own beside the given one and uses Redis database :data:`REDIS_DB`.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from reliability_support import SHOPCRM, Workers, set_sandbox, wait_until
from shopcrm import sending_policy
from shopcrm.config import Config, load_config
from shopcrm.db import scratch_database, session_scope
from shopcrm.models import Shop

OUTER_DATABASE_URL = os.environ.get("DATABASE_URL", "")
OUTER_REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_DB = 12
CUSTOMERS = 30
"""Customers with a paid order; one more has an unpaid order (a campaign message, no thanks)."""
CAMPAIGN_TEXT = "双12预告，全场满200减30"
THANKS_TEXT = "亲，订单${order_id}已付款，感谢支持"
ENV_KEYS = ("DATABASE_URL", "REDIS_URL", "SHOPCRM_INSTANCE", "SHOPCRM_PLUGINS", "SHOPCRM_PLUGINS_DIR",
            "SHOPCRM_SECRET_KEY", "SHOPCRM_PROXIES")

pytestmark = pytest.mark.skipif(
    not (OUTER_DATABASE_URL.startswith("postgres") and OUTER_REDIS_URL),
    reason="the production stack runs on PostgreSQL and Redis: set DATABASE_URL (postgresql://...) and REDIS_URL "
           "(CI sets both)",
)


def _redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """The environment of the stack's machines and the test's handles on it."""

    def __init__(self, root: Path, database_url: str, redis_url: str) -> None:
        base = {key: value for key, value in os.environ.items() if key not in ENV_KEYS}
        self.shared = {**base, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                       "SHOPCRM_SECRET_KEY": secrets.token_hex(32)}
        self.root = root
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.config = load_config({**self.shared, "SHOPCRM_INSTANCE": str(self.machine("admin"))})
        logs = root / "logs"
        logs.mkdir()
        self.processes = Workers(self.shared, logs)

    def machine(self, name: str) -> Path:
        """The instance folder of the machine ``name``."""
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        return folder

    def env(self, machine: str) -> dict[str, str]:
        return {**self.shared, "SHOPCRM_INSTANCE": str(self.machine(machine))}

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run ``shopcrm ARGS`` on the admin machine; its standard output."""
        done = subprocess.run([SHOPCRM, *args], env=self.env("admin"), input=stdin, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"shopcrm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        web = self.processes.spawn(["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "2"],
                                   "web", SHOPCRM_INSTANCE=str(self.machine("web")))
        for n, queues in enumerate(("main,send", "send")):
            self.processes.start(burst=False, queues=queues, SHOPCRM_INSTANCE=str(self.machine(f"worker{n}")))
        self.processes.spawn(["scheduler"], "scheduler", SHOPCRM_INSTANCE=str(self.machine("scheduler")))

        def answering() -> bool:
            assert web.poll() is None, f"shopcrm serve exited\n{self.logs()}"
            try:
                return self.get("/healthz")[0] == 200
            except OSError:
                return False

        wait_until(answering, 30, "the web processes to answer", every=0.2)

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def post(self, path: str, token: str, body: Any) -> tuple[int, Any]:
        request = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def logs(self) -> str:
        return self.processes.tail("*.log")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    from redis import Redis

    redis_url = _redis_db(OUTER_REDIS_URL, REDIS_DB)
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    with scratch_database(OUTER_DATABASE_URL, str(tmp_path), f"shopcrm_stack_{os.getpid()}") as url:
        made = Stack(tmp_path, url, redis_url)
        try:
            yield made
        finally:
            made.processes.stop()
            from shopcrm.db import dispose_engines

            dispose_engines()  # the test's own connections, before the database is dropped
    redis.flushdb()
    redis.close()


def order(n: int, status: str = "WAIT_SELLER_SEND_GOODS") -> dict[str, Any]:
    paid = status != "WAIT_BUYER_PAY"
    return {"order_id": f"88{n:06d}", "customer_id": f"tb_buyer{n}", "name": f"买家{n}",
            "mobile": f"1391234{n:04d}", "status": status, "paid_amount": "99.00",
            "created_at": _now(),
            **({"paid_at": _now()} if paid else {}),
            "items": [{"title": "保温杯 500ml", "quantity": 1, "price": "99.00"}]}


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def thanks_held(config: Config) -> int:
    from shopcrm_sms_mock.models import Submission

    with session_scope(config) as session:
        return int(session.scalar(select(func.count()).select_from(Submission)
                                  .where(Submission.text.contains("已付款，感谢支持"))) or 0)


def test_api_orders_campaign_and_automation_reach_everyone_once(stack: Stack) -> None:
    # First-time set-up, as docs/deployment.md has it, on the admin machine.
    assert "is up to date" in stack.cli("db", "upgrade")
    stack.cli("users", "create", "boss", "--role", "admin", "--password-stdin", stdin="a long pass phrase 42\n")
    token = stack.cli("tokens", "create", "ERP").strip()
    with session_scope(stack.config) as session:
        shop = session.scalars(select(Shop)).one()
        shop.sms_signature = "小店"
        _, errors = sending_policy.save(session, shop.id, {"quiet_start": 0, "quiet_end": 0})
        assert not errors, errors
    set_sandbox(stack.config, delay_seconds=0, limit_per_minute=0, limit_per_hour=0, limit_per_day=0)
    stack.cli("automations", "enable", "paid_thanks", "--delay", "0s", "--channel", "sms_mock",
              "--template-text", THANKS_TEXT, "--night", "send")

    stack.start()
    assert stack.get("/healthz") == (200, {"status": "ok", "database": "ok", "redis": "ok"})

    orders = [order(n) for n in range(CUSTOMERS)]
    for first in range(0, CUSTOMERS, 10):
        assert stack.post("/api/v1/orders", token, orders[first:first + 10]) == (
            200, {"inserted": 10, "updated": 0, "unchanged": 0})
    unpaid = order(CUSTOMERS, status="WAIT_BUYER_PAY")
    assert stack.post("/api/v1/orders", token, unpaid)[0] == 200
    # The shop system resends a batch after a timeout: nothing changes, nobody is thanked twice.
    assert stack.post("/api/v1/orders", token, orders[:10]) == (200, {"inserted": 0, "updated": 0, "unchanged": 10})

    wait_until(lambda: thanks_held(stack.config) >= CUSTOMERS, 30, "a thanks for every paid order", every=0.3)

    created = json.loads(stack.cli("campaign", "create", "--name", "双12预告", "--rules",
                                   json.dumps({"all": [{"field": "order_count", "op": ">=", "value": 0}]}),
                                   "--template-text", CAMPAIGN_TEXT, "--channel", "sms_mock", "--json"))
    state = json.loads(stack.cli("campaign", "send", str(created["id"]), "--wait", "--timeout", "60", "--json"))
    assert state["open"] == 0 and state["deferred"] == 0, state
    assert sum(state["counts"].values()) == CUSTOMERS + 1
    assert set(state["counts"]) <= {"sent", "delivered"}, state

    log = json.loads(stack.cli("sms-mock", "log", "--json", "--limit", "1000"))
    campaign = Counter(entry["number"] for entry in log if CAMPAIGN_TEXT in entry["text"])
    thanks = Counter(entry["number"] for entry in log if "已付款，感谢支持" in entry["text"])
    everyone = {o["mobile"] for o in [*orders, unpaid]}
    assert len(log) == len(everyone) + CUSTOMERS, "the sandbox holds messages that are neither kind"
    assert campaign == Counter(everyone), "campaign messages missing or doubled"
    assert thanks == Counter(o["mobile"] for o in orders), "thanks missing or doubled"
    for entry in log:
        assert entry["resends"] == 0 and entry["status"] in ("accepted", "delivered"), entry
        if entry["number"] in thanks and "已付款" in entry["text"]:
            assert f"订单88{int(entry['number'][-4:]):06d}已付款" in entry["text"]
    assert "duplicate sends: 0" in stack.cli("sms-mock", "log", "--limit", "1")
