"""Daily jobs: due at the shop's own hour, enqueued once per shop and day whoever ticks."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from shopcrm.cli import build_cli
from shopcrm.config import Config
from shopcrm.db import session_scope
from shopcrm.jobs import wait_for
from shopcrm.models import CustomerLabel, Customer, Setting, Shop
from shopcrm.schedule import NAMESPACE, Due, claim, daily, daily_jobs, due, tick

# 19:05 UTC is 03:05 the next day in Shanghai, and 20:05 in London.
SHANGHAI_THREE = dt.datetime(2026, 11, 29, 19, 5)


@pytest.fixture
def shops(config: Config) -> dict[str, int]:
    with session_scope(config) as session:
        shanghai = Shop(name="上海店", timezone="Asia/Shanghai")
        london = Shop(name="London shop", timezone="Europe/London")
        session.add_all([shanghai, london])
        session.flush()
        session.add(Customer(shop_id=shanghai.id, platform_id="buyer"))
        return {"shanghai": shanghai.id, "london": london.id}


def test_labels_are_refreshed_daily_at_three() -> None:
    assert daily_jobs()["labels.refresh"] == 3
    with pytest.raises(ValueError, match="hour must be 0 to 23"):
        daily("labels.refresh", hour=24)


def test_a_job_is_due_once_the_shops_hour_has_come(config: Config, shops: dict[str, int]) -> None:
    before = [d for d in due(config, SHANGHAI_THREE - dt.timedelta(minutes=10)) if d.kind == "labels.refresh"]
    assert before == [Due("labels.refresh", shops["london"], dt.date(2026, 11, 29))]
    at_three = {d.shop_id: d.day for d in due(config, SHANGHAI_THREE) if d.kind == "labels.refresh"}
    assert at_three == {shops["shanghai"]: dt.date(2026, 11, 30), shops["london"]: dt.date(2026, 11, 29)}


def due_at(local_hours: list[int]) -> int:
    """How many runs are due for shops whose clocks show these hours."""
    return sum(1 for hour in local_hours for due_hour in daily_jobs().values() if due_hour <= hour)


def test_tick_enqueues_each_run_once_and_the_job_labels_the_shop(config: Config, shops: dict[str, int]) -> None:
    job_ids = tick(config, SHANGHAI_THREE)
    assert len(job_ids) == due_at([3, 20])  # Shanghai at 03:05, London at 20:05
    for job_id in job_ids:
        assert wait_for(job_id, config, timeout=60)["status"] == "finished"
    assert tick(config, SHANGHAI_THREE + dt.timedelta(minutes=30)) == []  # the same day again: nothing
    with session_scope(config) as session:
        labelled = session.scalar(select(func.count()).select_from(CustomerLabel).where(
            CustomerLabel.shop_id == shops["shanghai"], CustomerLabel.segmenter == "lifecycle"))
        assert labelled == 1
    next_day = tick(config, SHANGHAI_THREE + dt.timedelta(days=1))
    assert len(next_day) == due_at([3, 20])
    for job_id in next_day:
        wait_for(job_id, config, timeout=60)


def test_a_run_is_claimed_by_one_ticker_only(config: Config, shops: dict[str, int]) -> None:
    run = Due("labels.refresh", shops["shanghai"], dt.date(2026, 11, 30))
    assert claim(config, run) is True
    assert claim(config, run) is False
    assert run not in due(config, SHANGHAI_THREE)


def test_old_claims_are_forgotten(config: Config, shops: dict[str, int]) -> None:
    with session_scope(config) as session:
        session.add(Setting(namespace=NAMESPACE, key="labels.refresh:1:2026-01-01", value={},
                            updated_at=dt.datetime(2026, 1, 1, 4)))
    for job_id in tick(config, SHANGHAI_THREE):
        wait_for(job_id, config, timeout=60)
    with session_scope(config) as session:
        keys = set(session.scalars(select(Setting.key).where(Setting.namespace == NAMESPACE)))
    assert "labels.refresh:1:2026-01-01" not in keys
    assert f"labels.refresh:{shops['shanghai']}:2026-11-30" in keys


def test_the_scheduler_command_queues_what_is_due(config: Config, shops: dict[str, int]) -> None:
    result = CliRunner().invoke(build_cli(), ["scheduler", "--once", "--json"])
    assert result.exit_code == 0, result.output
    queued = json.loads(result.output)["queued"]
    assert queued  # at any hour of the day, at least one of the two shops is past three
    for job_id in queued:
        wait_for(job_id, config, timeout=60)
    again = json.loads(CliRunner().invoke(build_cli(), ["scheduler", "--once", "--json"]).output)
    assert again["queued"] == []
