"""Test support for sending: a scripted channel plugin, and shops with customers to message.

The scripted channel is a loose plugin (``SHOPCRM_PLUGINS_DIR``) that answers each number as a
JSON script says (one status per try, the last one repeating), remembers what it "holds" in a
JSON file (so ``query`` answers from it), and logs every call to a JSON Lines file the test reads.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import pytest
from sqlalchemy.orm import Session

from shopcrm.models import Customer, Shop
from shopcrm.plugins import reset_plugin_manager

SCRIPTED = '''
import json
import os

from shopcrm import hookimpl
from shopcrm.channels import Channel, SendResult


def _load(name, default):
    path = os.environ[name]
    return json.load(open(path, encoding="utf-8")) if os.path.exists(path) else default


class Scripted(Channel):
    name = "scripted"
    label = "Scripted"
    max_batch = 3

    def send_batch(self, messages, settings):
        script = _load("SCRIPTED_SCRIPT", {})
        tries = _load("SCRIPTED_TRIES", {})
        held = _load("SCRIPTED_HELD", {})
        results = []
        with open(os.environ["SCRIPTED_LOG"], "a", encoding="utf-8") as log:
            for m in messages:
                n = tries.get(m.to, 0)
                tries[m.to] = n + 1
                plan = script.get(m.to, ["accepted"])
                status = plan[min(n, len(plan) - 1)]
                if status == "raise":
                    json.dump(tries, open(os.environ["SCRIPTED_TRIES"], "w"))
                    raise RuntimeError("gateway exploded")
                keep = status in ("accepted", "unknown_kept")
                if keep:
                    held[str(m.id)] = "gw-%d" % m.id
                answer = "unknown" if status.startswith("unknown") else status
                results.append(SendResult(m.id, answer, gateway_id=held.get(str(m.id)) if answer == "accepted" else None,
                                          error_code=None if answer == "accepted" else "E_" + answer))
                log.write(json.dumps({"call": "send", "id": m.id, "to": m.to, "text": m.text,
                                      "answer": answer, "rate": settings.get("rate_per_second")}) + "\\n")
        json.dump(tries, open(os.environ["SCRIPTED_TRIES"], "w"))
        json.dump(held, open(os.environ["SCRIPTED_HELD"], "w"))
        return results

    def query(self, messages, settings):
        held = _load("SCRIPTED_HELD", {})
        with open(os.environ["SCRIPTED_LOG"], "a", encoding="utf-8") as log:
            for m in messages:
                log.write(json.dumps({"call": "query", "id": m.id, "to": m.to}) + "\\n")
        return [SendResult(m.id, "accepted", gateway_id=held[str(m.id)]) if str(m.id) in held
                else SendResult(m.id, "retry", error_code="NOT_FOUND") for m in messages]


@hookimpl
def register_channels():
    return [Scripted()]
'''


class ScriptedChannel:
    """The test's handle on the scripted channel: set its script, read its calls."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def script(self, plan: dict[str, list[str]]) -> None:
        (self.folder / "script.json").write_text(json.dumps(plan))

    def calls(self, kind: str = "send") -> list[dict[str, Any]]:
        log = self.folder / "log.jsonl"
        if not log.exists():
            return []
        return [c for c in map(json.loads, log.read_text(encoding="utf-8").splitlines()) if c["call"] == kind]

    def forget(self, message_id: int) -> None:
        """Make the gateway lose a message it held (as if it never arrived)."""
        path = self.folder / "held.json"
        held = json.loads(path.read_text()) if path.exists() else {}
        held.pop(str(message_id), None)
        path.write_text(json.dumps(held))


@pytest.fixture
def scripted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: Any) -> ScriptedChannel:
    folder = tmp_path / "scripted"
    plugins = folder / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "scripted_channel.py").write_text(SCRIPTED)
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(plugins))
    for name, file in (("SCRIPTED_SCRIPT", "script.json"), ("SCRIPTED_TRIES", "tries.json"),
                       ("SCRIPTED_HELD", "held.json"), ("SCRIPTED_LOG", "log.jsonl")):
        monkeypatch.setenv(name, str(folder / file))
    reset_plugin_manager()
    return ScriptedChannel(folder)


def make_shop(session: Session, mobiles: Iterable[str | None], name: str = "发送测试店",
              signature: str = "小店", timezone: str = "Asia/Shanghai",
              quiet_hours: bool = False) -> tuple[int, list[int]]:
    """A shop with one customer per mobile (nick ``buyer<i>``, one paid order's worth of rollups);
    ``(shop id, customer ids)``.

    Without ``quiet_hours`` the shop has none, so that what is sent at the real time of day does
    not depend on the hour the tests run (21:00 to 08:00 in Shanghai defers marketing); tests of
    quiet hours keep the default ones and give the time themselves."""
    from shopcrm import sending_policy
    from shopcrm.mobiles import normalise_mobile

    shop = Shop(name=name, sms_signature=signature, timezone=timezone)
    session.add(shop)
    session.flush()
    if not quiet_hours:
        sending_policy.save(session, shop.id, {"quiet_start": 0, "quiet_end": 0})
    ids = []
    for i, mobile in enumerate(mobiles):
        number, valid = normalise_mobile(mobile) if mobile else (None, False)
        customer = Customer(shop_id=shop.id, platform_id=f"buyer{i}", name=None, mobile=number or mobile,
                            mobile_tail=(number or "")[-4:] or None, sms_reachable=valid, order_count=1)
        session.add(customer)
        session.flush()
        ids.append(customer.id)
    session.commit()
    return shop.id, ids


EVERYONE = {"all": [{"field": "order_count", "op": ">=", "value": 0}]}


def mobiles(n: int, start: int = 0) -> list[str]:
    return [f"1380000{i:04d}" for i in range(start, start + n)]
