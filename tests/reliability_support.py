"""Support for the sending reliability tests: big shops, real worker processes, and a probe.

* :func:`shop_with_customers` writes a shop's customers set-based (one bulk write), each with a
  valid number of its own, and switches quiet hours off so the tests do not depend on the clock;
* :class:`Workers` starts ``shopcrm worker`` processes (and other long-running commands such as
  ``shopcrm serve``), each in a process group of its own so a test can SIGKILL a worker together
  with any work horse RQ forked (send jobs run in the worker itself; other jobs in a work horse);
* the *probe* is a loose plugin (``SHOPCRM_PLUGINS_DIR``) that logs, from inside every process,
  each OutId the outbox asks the SMS sandbox about (``query``), so a test can tell that rows
  were reconciled rather than sent again; in a worker started with ``RELIAB_SLOW_SECONDS`` it
  logs each chunk the sandbox took (``chunk``) and then waits, so a test can kill that worker
  right after a chunk, while its batch is surely claimed and not yet recorded. (The sandbox counts a submission of an OutId it
  already holds, a duplicate a real gateway would deliver twice, in ``resends``.)
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import func, select

from shopcrm import bulk, campaigns, schedule, sending_policy
from shopcrm.config import Config
from shopcrm.db import get_engine, session_scope, utcnow
from shopcrm.models import Campaign, Customer, Message, Shop

SHOPCRM = os.path.join(os.path.dirname(sys.executable), "shopcrm")
EVERYONE = {"all": [{"field": "order_count", "op": ">=", "value": 0}]}
TERMINAL = ("sent", "delivered", "failed", "skipped")

PROBE = '''
"""Test probe: logs the OutIds the sandbox is asked about; with RELIAB_SLOW_SECONDS, logs each
chunk handed to the sandbox and then waits that long (a slow gateway), still inside the batch."""
import os
import time

from shopcrm_sms_mock import channel


def _log(kind, ids):
    if ids:
        with open(os.environ["RELIAB_PROBE_LOG"], "a", encoding="utf-8") as log:
            log.write("".join(f"{kind} {i}\\n" for i in ids))


if not getattr(channel, "_reliab_probe", False):
    channel._reliab_probe = True
    _query = channel.MockSmsChannel.query
    _send = channel.MockSmsChannel.send_batch

    def query(self, messages, settings):
        _log("query", [m.id for m in messages])
        return _query(self, messages, settings)

    def send_batch(self, messages, settings):
        results = _send(self, messages, settings)
        slow = float(os.environ.get("RELIAB_SLOW_SECONDS") or 0)
        if slow:
            _log("chunk", [len(messages)])
            time.sleep(slow)
        return results

    channel.MockSmsChannel.query = query
    channel.MockSmsChannel.send_batch = send_batch
'''


class Probe:
    """The test's handle on the probe's log."""

    def __init__(self, folder: Path) -> None:
        self.plugins = folder / "plugins"
        self.plugins.mkdir(parents=True, exist_ok=True)
        (self.plugins / "reliab_probe.py").write_text(PROBE)
        self.log = folder / "probe.log"

    def env(self) -> dict[str, str]:
        return {"SHOPCRM_PLUGINS_DIR": str(self.plugins), "RELIAB_PROBE_LOG": str(self.log)}

    def ids(self, kind: str) -> list[int]:
        if not self.log.exists():
            return []
        return [int(line.split()[1]) for line in self.log.read_text().splitlines() if line.split()[0] == kind]


def shop_with_customers(config: Config, n: int, first_number: int = 13900000000) -> int:
    """A shop with ``n`` customers (numbers ``first_number`` upwards), written in one bulk
    write, with quiet hours off and today's daily jobs claimed (so a sweep does only the
    outbox's work); the shop's id."""
    with session_scope(config) as session:
        shop = Shop(name=f"可靠性测试店{n}", sms_signature="小店")
        session.add(shop)
        session.flush()
        shop_id = shop.id
        _, errors = sending_policy.save(session, shop_id, {"quiet_start": 0, "quiet_end": 0})
        assert not errors, errors
    now = utcnow()
    columns = ("shop_id", "identity", "platform_id", "mobile", "mobile_tail", "sms_reachable", "tags",
               "order_count", "total_paid", "created_at", "updated_at")
    rows = ((shop_id, f"buyer{i}", f"buyer{i}", str(first_number + i), str(first_number + i)[-4:], True, [],
             1, 0, now, now) for i in range(n))
    with get_engine(config).begin() as conn:
        bulk.write(conn, Customer.__table__, columns, rows)
    for run in schedule.due(config):
        schedule.claim(config, run)
    return shop_id


def start_campaign(config: Config, shop_id: int, text: str = "你好${nickname}，新品上架") -> int:
    """Create a campaign to every customer and write its outbox (``campaigns.begin``); its id."""
    with session_scope(config) as session:
        campaign_id = campaigns.create(session, shop_id, "可靠性", "sms_mock", text, rules=EVERYONE).id
    campaigns.begin(config, campaign_id)
    return campaign_id


def set_sandbox(config: Config, **values: Any) -> None:
    from shopcrm_sms_mock import behaviour

    with session_scope(config) as session:
        behaviour.save(session, behaviour.parse(values))


class Workers:
    """``shopcrm worker`` processes, each the leader of its own process group."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, burst: bool = True, queues: str | None = None, **env: str) -> subprocess.Popen[bytes]:
        """A ``shopcrm worker`` (``--queues`` when given), its output in ``worker<n>.log``."""
        args = ["worker", *(["--burst"] if burst else []), *(["--queues", queues] if queues else [])]
        return self.spawn(args, f"worker{len(self.procs)}", **env)

    def spawn(self, args: list[str], name: str, **env: str) -> subprocess.Popen[bytes]:
        """Any long-running ``shopcrm`` command (``serve``, ``scheduler`` ...) managed like the
        workers, its output in ``<name>.log``."""
        log = open(self.logs / f"{name}.log", "wb")
        proc = subprocess.Popen([SHOPCRM, *args], env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> int:
        """SIGKILL the worker's process group and the groups of its children: RQ's work horse
        runs the job in a process group of its own. The number of work horses killed."""
        horses = children(proc.pid)
        groups = {proc.pid}
        for pid in horses:
            try:
                groups.add(os.getpgid(pid))
            except ProcessLookupError:
                pass
        for group in groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)
        return len(horses)

    def wait(self, timeout: float = 120) -> None:
        """Wait for every (burst) worker to exit; fails on a worker that exited with an error."""
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            assert proc.returncode in (0, -signal.SIGKILL), self.tail()

    def stop(self) -> None:
        """End whatever still runs: SIGTERM (RQ's warm shutdown), then SIGKILL."""
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def tail(self, pattern: str = "worker*.log") -> str:
        return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
                         for p in sorted(self.logs.glob(pattern)))


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def run_sweep(env: dict[str, str]) -> None:
    """``shopcrm scheduler --once``: the sweep the scheduler runs every minute."""
    done = subprocess.run([SHOPCRM, "scheduler", "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def wait_until(test: Callable[[], bool], timeout: float, what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def campaign_status(config: Config, campaign_id: int) -> str:
    with session_scope(config) as session:
        return session.get(Campaign, campaign_id).status


def counts(config: Config, campaign_id: int) -> dict[str, int]:
    with session_scope(config) as session:
        return campaigns.status_counts(session, campaign_id)


def submitted(config: Config) -> int:
    """Messages the sandbox holds (committed submissions it accepted)."""
    from shopcrm_sms_mock.models import HELD, Submission

    with session_scope(config) as session:
        return int(session.scalar(select(func.count()).select_from(Submission)
                                  .where(Submission.status.in_(HELD))) or 0)


def held_per_number(config: Config, campaign_id: int) -> dict[str, int]:
    """For every number the campaign wrote a pending row for: how many messages of the
    campaign the sandbox holds for it (exactly-once means 1 for every sent message)."""
    from shopcrm_sms_mock.models import HELD, Submission

    with session_scope(config) as session:
        held = dict(session.execute(
            select(Submission.number, func.count()).join(Message, Message.id == Submission.message_id)
            .where(Message.campaign_id == campaign_id, Submission.status.in_(HELD))
            .group_by(Submission.number)).all())
        numbers = session.scalars(select(Message.to).where(Message.campaign_id == campaign_id,
                                                           Message.skip_reason.is_(None))).all()
    return {number: held.get(number, 0) for number in numbers} | {n: c for n, c in held.items()}


def resends(config: Config, campaign_id: int) -> int:
    """Submissions of the campaign's OutIds the sandbox already held (duplicate sends)."""
    from shopcrm_sms_mock.models import Submission

    with session_scope(config) as session:
        return int(session.scalar(select(func.coalesce(func.sum(Submission.resends), 0)).select_from(Submission)
                                  .join(Message, Message.id == Submission.message_id)
                                  .where(Message.campaign_id == campaign_id)) or 0)


def set_rate(config: Config, shop_id: int, rate: int) -> None:
    """The sandbox channel's ``rate_per_second`` for the shop (the throttle every worker shares)."""
    from shopcrm import channel_settings

    with session_scope(config) as session:
        errors = channel_settings.save(session, config, "sms_mock", shop_id, {"rate_per_second": str(rate)})
        assert not errors, errors


def mismatched_gateway_ids(config: Config, campaign_id: int) -> int:
    """Sent messages whose gateway id is not the one the sandbox holds for their OutId."""
    from shopcrm_sms_mock.models import HELD, Submission

    with session_scope(config) as session:
        return int(session.scalar(
            select(func.count()).select_from(Message)
            .outerjoin(Submission, (Submission.message_id == Message.id) & Submission.status.in_(HELD))
            .where(Message.campaign_id == campaign_id, Message.status == "sent",
                   (Submission.id.is_(None)) | (Submission.gateway_id != Message.gateway_id))) or 0)


def later(seconds: float) -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=seconds)
