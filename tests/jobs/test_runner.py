"""Jobs run the same through the embedded runner and through a real RQ worker."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from shopcrm.config import load_config
from shopcrm.jobs import enqueue, job_status, wait_for
from shopcrm.jobs.runner import embedded_runner
from shopcrm.models import Customer, JobRun, Order, Shop
from shopcrm.plugins import reset_plugin_manager
from tests.plugin_fixtures import write_plugin_file

JOB_PLUGIN = """
from shopcrm import hookimpl
from shopcrm.jobs import job

@job("tests.explode")
def explode(progress, shop_id):
    progress.update(done=1, total=4, message="about to fail", force=True)
    raise ValueError(f"shop {shop_id} exploded")

@hookimpl
def register_commands(cli):
    pass
"""


@pytest.fixture(params=["embedded", "rq"])
def backend(request, config, monkeypatch, tmp_path):
    """Run each test once in-process and once on Redis with a `shopcrm worker --burst`."""
    write_plugin_file(tmp_path / "loose", "jobplugin", JOB_PLUGIN)
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(tmp_path / "loose"))
    reset_plugin_manager()
    if request.param == "rq":
        request.getfixturevalue("redis_url")
    return request.param


def run_queued(backend: str, run_id: int) -> dict:
    if backend == "rq":
        worker = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "shopcrm"), "worker", "--burst"],
            env=os.environ.copy(), capture_output=True, text=True, timeout=120,
        )
        assert worker.returncode == 0, worker.stderr
    else:
        embedded_runner(load_config()).join()
    return wait_for(run_id, timeout=30)


@pytest.fixture
def stale_shop(session):
    """A shop whose orders were written in bulk without refreshing rollups."""
    shop = Shop(name="Jobs shop")
    session.add(shop)
    session.flush()
    customers = [Customer(shop_id=shop.id, platform_id=f"c{i}") for i in range(12)]
    session.add_all(customers)
    session.flush()
    session.execute(insert(Order), [
        {"shop_id": shop.id, "customer_id": c.id, "platform_order_id": f"o{c.id}-{k}", "status": "paid",
         "paid_amount": Decimal("12.5"), "refund_amount": Decimal(0), "total_amount": Decimal("12.5"),
         "created_at": dt.datetime(2026, 5, 1 + k), "source": "test"}
        for c in customers for k in range(3)
    ])
    session.commit()
    assert session.scalar(select(Customer.order_count).where(Customer.id == customers[0].id)) == 0
    return shop


def test_a_job_runs_and_reports_progress(backend, stale_shop, session):
    run_id = enqueue("rollups.refresh", shop_id=stale_shop.id)
    if backend == "rq":  # nothing runs until a worker comes
        assert job_status(run_id)["status"] == "queued"
    status = run_queued(backend, run_id)
    assert status["status"] == "finished", status
    assert (status["done"], status["total"], status["percent"]) == (12, 12, 100)
    assert status["result"] == {"customers": 12}
    session.rollback()  # end the read transaction begun before the job ran
    counts = set(session.scalars(select(Customer.order_count).where(Customer.shop_id == stale_shop.id)))
    totals = set(session.scalars(select(Customer.total_paid).where(Customer.shop_id == stale_shop.id)))
    assert counts == {3} and totals == {Decimal("37.50")}


def test_a_failing_job_is_recorded_with_its_error_and_progress(backend, config, session):
    run_id = enqueue("tests.explode", shop_id=7)
    status = run_queued(backend, run_id)
    assert status["status"] == "failed"
    assert status["error"] == "ValueError: shop 7 exploded"
    assert (status["done"], status["total"], status["message"]) == (1, 4, "about to fail")
    run = session.get(JobRun, run_id)
    assert run.finished_at is not None and "Traceback" in run.error


def test_an_unknown_job_kind_is_refused_when_enqueued(config):
    with pytest.raises(LookupError, match="no job kind 'nope'"):
        enqueue("nope")


def test_wait_runs_an_embedded_job_before_returning(config, stale_shop):
    run_id = enqueue("rollups.refresh", wait=True, shop_id=stale_shop.id)
    assert job_status(run_id)["status"] == "finished"


def test_worker_without_redis_says_why(config):
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "shopcrm"), "worker", "--burst"],
        env={k: v for k, v in os.environ.items() if k != "REDIS_URL"}, capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "REDIS_URL is not set" in result.stderr


def test_embedded_jobs_run_while_the_app_writes(config, stale_shop):
    """Writers in the web process and the job thread take turns; no job is left queued."""
    from shopcrm import audit
    from shopcrm.db import session_scope

    ids = []
    for n in range(30):
        ids.append(enqueue("rollups.refresh", shop_id=stale_shop.id))
        with session_scope() as session:
            audit.record(session, "test.write", target=str(n))
    embedded_runner(load_config()).join()
    assert [job_status(i)["status"] for i in ids] == ["finished"] * 30
