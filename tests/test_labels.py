"""Running every segmenter: full and incremental runs, their record, failures kept apart."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update

from shopcrm import plugin_settings
from shopcrm.cli import build_cli
from shopcrm.config import Config
from shopcrm.db import get_engine, session_scope, utcnow
from shopcrm.demo_data import generate
from shopcrm.labels import last_runs, moves_since, run_all, run_segmenter, segmenters, touched_customers
from shopcrm.models import Customer, CustomerLabel, LabelRun, Order, Shop
from shopcrm.plugins import reset_plugin_manager
from shopcrm.registry import reset as reset_registry

FAILING = '''
from shopcrm import hookimpl
from shopcrm.segments import LabelInfo, Segmenter


class Broken(Segmenter):
    name = "broken"
    label = "Broken"

    def labels(self):
        return [LabelInfo("x")]

    def compute(self, session, shop_id, config, customer_ids=None):
        raise RuntimeError("no luck today")


@hookimpl
def register_segmenters():
    return [Broken()]
'''


@pytest.fixture
def shop_id(config: Config) -> int:
    with session_scope(config) as session:
        shop = Shop(name="标签店")
        session.add(shop)
        session.flush()
        shop_id = shop.id
    generate(get_engine(config), shop_id, customers=400, orders=1200, seed=5)
    return shop_id


def label_counts(config: Config, shop_id: int, segmenter: str) -> dict[str, int]:
    with session_scope(config) as session:
        return dict(session.execute(
            select(CustomerLabel.value, func.count()).where(
                CustomerLabel.shop_id == shop_id, CustomerLabel.segmenter == segmenter)
            .group_by(CustomerLabel.value)).all())


def test_the_built_in_segmenters_are_registered() -> None:
    assert {"rfm", "lifecycle"} <= {s.name for s in segmenters()}
    with pytest.raises(LookupError, match="no segmenter nope .*known: .*lifecycle"):
        segmenters(["nope"])


def test_a_full_run_labels_everyone_and_records_counts_and_moves(config: Config, shop_id: int) -> None:
    outcomes = run_all(config, shop_id)
    assert outcomes["lifecycle"].status == "finished" and outcomes["lifecycle"].customers == 400
    counts = label_counts(config, shop_id, "lifecycle")
    assert sum(counts.values()) == 400
    with session_scope(config) as session:
        run = last_runs(session, shop_id, "lifecycle")[0]
        assert run.full and run.counts == counts
        # The first run moves everyone from "no label" to their stage.
        assert sorted((a, n) for b, a, n in run.moves if b is None) == sorted(counts.items())
        rfm = last_runs(session, shop_id, "rfm")[0]
        paid = session.scalar(select(func.count()).where(Customer.shop_id == shop_id,
                                                         Customer.last_order_at.is_not(None)))
        assert rfm.customers == paid == sum(rfm.counts.values())


def test_a_second_run_records_only_the_customers_who_moved(config: Config, shop_id: int) -> None:
    run_all(config, shop_id, ["lifecycle"])
    with session_scope(config) as session:
        first = last_runs(session, shop_id, "lifecycle")[0].id
        active = session.scalars(select(CustomerLabel.customer_id).where(
            CustomerLabel.shop_id == shop_id, CustomerLabel.segmenter == "lifecycle",
            CustomerLabel.value.in_(["活跃", "新客"])).limit(3)).all()
        assert len(active) == 3
        before = dict(session.execute(select(CustomerLabel.customer_id, CustomerLabel.value).where(
            CustomerLabel.customer_id.in_(active), CustomerLabel.segmenter == "lifecycle")).all())
        long_ago = utcnow() - dt.timedelta(days=500)
        session.execute(update(Customer).where(Customer.id.in_(active))
                        .values(first_order_at=long_ago, last_order_at=long_ago))
    run_all(config, shop_id, ["lifecycle"])
    with session_scope(config) as session:
        second = last_runs(session, shop_id, "lifecycle")[0]
        expected = Counter((before[c], "流失") for c in active)
        assert {(b, a): n for b, a, n in second.moves} == dict(expected)
        assert moves_since(session, shop_id, "lifecycle", first) == dict(expected)


def test_an_incremental_run_relabels_only_the_touched_customers(config: Config, shop_id: int) -> None:
    run_all(config, shop_id, ["lifecycle"])
    since = utcnow()
    with session_scope(config) as session:
        some = session.scalars(select(Customer.id).where(Customer.shop_id == shop_id).limit(5)).all()
        session.execute(update(Customer).where(Customer.id.in_(some)).values(last_order_at=None,
                                                                              first_order_at=None))
        touched = touched_customers(session, shop_id, since)
    assert touched == sorted(some)
    outcomes = run_all(config, shop_id, ["lifecycle"], customer_ids=touched)
    assert outcomes["lifecycle"].customers == 5
    with session_scope(config) as session:
        run = last_runs(session, shop_id, "lifecycle")[0]
        assert not run.full and sum(run.counts.values()) == 400  # counts stay shop-wide
        values = session.scalars(select(CustomerLabel.value).where(
            CustomerLabel.customer_id.in_(some), CustomerLabel.segmenter == "lifecycle")).all()
        assert values == ["潜在"] * 5


def test_a_label_rewritten_with_its_value_stays_on_its_page(config: Config, shop_id: int) -> None:
    """PostgreSQL fills the labels' pages to 80 percent: a limited run's new version of a label
    whose value is unchanged goes on the same page, with no new index entries (a HOT update).
    With full pages, none of them could."""
    if get_engine(config).dialect.name != "postgresql":
        pytest.skip("PostgreSQL's page fill and HOT updates")
    run_all(config, shop_id, ["lifecycle"])
    with session_scope(config) as session:
        every_tenth = session.scalars(
            select(Customer.id).where(Customer.shop_id == shop_id).order_by(Customer.id)).all()[::10]
        # The backend's counts not yet reported are in the view too: the run's are the difference.
        counts = text("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'customer_label'")
        before = session.execute(counts).one()
        run_segmenter(session, segmenters(["lifecycle"])[0], shop_id, every_tenth)
        after = session.execute(counts).one()
    updated, in_place = after[0] - before[0], after[1] - before[1]
    assert updated == len(every_tenth) == 40
    assert in_place == updated


def test_touched_customers_are_read_from_the_indexes_of_changes(config: Config, shop_id: int) -> None:
    """Customers changed, and customers whose orders changed, since a moment: a range of each
    table's index on (shop, time of change), never every customer and order of the shop (on
    SQLite, where the plan does not hang on the table's statistics)."""
    from sqlalchemy import event

    since = utcnow()
    with session_scope(config) as session:
        profile, buyer = session.scalars(select(Customer.id).where(Customer.shop_id == shop_id).limit(2)).all()
        session.execute(update(Customer).where(Customer.id == profile).values(city="杭州"))
        session.execute(update(Order).where(Order.id == select(Order.id).where(Order.customer_id == buyer)
                                            .limit(1).scalar_subquery()).values(status="refunded"))
    plans: list[list[str]] = []

    def explain(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if conn.dialect.name == "sqlite" and "updated_at" in statement:
            plans.append([row[3] for row in cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)])

    engine = get_engine(config)
    event.listen(engine, "before_cursor_execute", explain)
    try:
        with session_scope(config) as session:
            assert touched_customers(session, shop_id, since) == sorted([profile, buyer])
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    if engine.dialect.name != "sqlite":
        return
    (plan,) = plans
    assert any("USING COVERING INDEX ix_order_shop_updated" in step for step in plan), plan
    assert any("ix_customer_shop_updated" in step for step in plan), plan
    assert not any(step.startswith("SCAN") and ("order" in step or "customer" in step) for step in plan), plan


def test_saved_settings_reach_the_segmenter(config: Config, shop_id: int) -> None:
    run_all(config, shop_id, ["lifecycle"])
    short = label_counts(config, shop_id, "lifecycle")
    with session_scope(config) as session:
        plugin_settings.save(session, "lifecycle", shop_id, {"active_days": 400, "sleep_days": 500})
    run_all(config, shop_id, ["lifecycle"])
    long = label_counts(config, shop_id, "lifecycle")
    assert long.get("活跃", 0) > short.get("活跃", 0)
    assert long.get("流失", 0) < short.get("流失", 0)


def test_a_failing_segmenter_is_recorded_and_the_others_still_run(
    config: Config, shop_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "broken.py").write_text(FAILING)
    monkeypatch.setenv("SHOPCRM_PLUGINS_DIR", str(folder))
    reset_plugin_manager()
    reset_registry()
    try:
        outcomes = run_all(config, shop_id)
    finally:
        monkeypatch.delenv("SHOPCRM_PLUGINS_DIR")
        reset_plugin_manager()
        reset_registry()
    assert outcomes["broken"].status == "failed" and "no luck today" in outcomes["broken"].error
    assert outcomes["lifecycle"].status == outcomes["rfm"].status == "finished"
    with session_scope(config) as session:
        failed = session.scalars(select(LabelRun).where(LabelRun.segmenter == "broken")).one()
        assert failed.status == "failed" and "RuntimeError" in failed.error
        assert last_runs(session, shop_id, "broken") == []


def test_an_import_relabels_the_customers_it_brought(config: Config, tmp_path: Path) -> None:
    with session_scope(config) as session:
        session.add(Shop(name="导入店"))
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,customer_id,status,paid_amount,created_at,paid_at,mobile\n"
        "A1,buyer1,completed,88.00,2026-11-20 10:00:00,2026-11-20 10:01:00,13800138000\n"
        "A2,buyer2,pending_payment,0,2026-11-21 10:00:00,,13800138001\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(build_cli(), ["import", "orders", str(path), "--preset", "generic", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["labels_job"] is not None
    with session_scope(config) as session:
        labels = dict(session.execute(select(Customer.platform_id, CustomerLabel.value).join(
            CustomerLabel, CustomerLabel.customer_id == Customer.id).where(
            CustomerLabel.segmenter == "lifecycle")).all())
    assert labels == {"buyer1": "新客", "buyer2": "潜在"}
    again = CliRunner().invoke(build_cli(), ["import", "orders", str(path), "--preset", "generic", "--json"])
    assert json.loads(again.output)["labels_job"] is None  # nothing changed, nothing to relabel


def test_the_labels_commands(config: Config, shop_id: int) -> None:
    runner = CliRunner()
    refreshed = runner.invoke(build_cli(), ["labels", "refresh", "--segmenter", "lifecycle", "--json"])
    assert refreshed.exit_code == 0, refreshed.output
    body = json.loads(refreshed.output)
    assert body["status"] == "finished"
    assert body["segmenters"]["lifecycle"]["customers"] == 400 and "rfm" not in body["segmenters"]
    status = json.loads(runner.invoke(build_cli(), ["labels", "status", "--json"]).output)
    by_name = {row["segmenter"]: row for row in status}
    assert sum(by_name["lifecycle"]["counts"].values()) == 400
    assert by_name["rfm"]["last_run_at"] is None
    unknown = runner.invoke(build_cli(), ["labels", "refresh", "--segmenter", "nope"])
    assert unknown.exit_code == 2 and "no segmenter nope" in unknown.output


def test_queued_relabelling_is_shared_by_later_changes(config: Config, shop_id: int) -> None:
    from shopcrm.jobs import wait_for
    from shopcrm.labels import relabel_changed
    from shopcrm.models import JobRun

    earlier = utcnow() - dt.timedelta(minutes=5)
    with session_scope(config) as session:  # a run queued a moment ago and not started yet
        session.add(JobRun(kind="labels.refresh", status="queued",
                           args={"shop_id": shop_id, "since": earlier.isoformat()}))
    assert relabel_changed(config, shop_id, utcnow()) is None
    assert relabel_changed(config, shop_id + 1000, utcnow()) is not None  # another shop
    ran = relabel_changed(config, shop_id, earlier - dt.timedelta(minutes=1), wait=True)
    assert ran is not None and wait_for(ran, config)["status"] == "finished"


def test_with_redis_a_deferred_relabelling_waits_scheduled_and_later_changes_join_it(
        redis_url: str, shop_id: int) -> None:
    from rq.registry import ScheduledJobRegistry

    from shopcrm.config import load_config
    from shopcrm.jobs.runner import rq_queue
    from shopcrm.labels import relabel_changed
    from shopcrm.models import JobRun

    config = load_config()  # with the test's REDIS_URL
    asked = utcnow()
    run_id = relabel_changed(config, shop_id, asked, defer=dt.timedelta(seconds=30))
    assert run_id is not None
    queue = rq_queue(config)
    assert queue.count == 0  # not on the queue yet: no worker may start it before its time
    registry = ScheduledJobRegistry(queue=queue)
    [scheduled] = registry.get_job_ids()
    when = registry.get_scheduled_time(scheduled).replace(tzinfo=None)
    assert abs(when - (asked + dt.timedelta(seconds=30))) < dt.timedelta(seconds=5)
    assert relabel_changed(config, shop_id, utcnow(), defer=dt.timedelta(seconds=30)) is None  # joined
    with session_scope(config) as session:
        assert session.scalar(select(JobRun.status).where(JobRun.id == run_id)) == "queued"
        assert session.scalar(select(func.count()).select_from(JobRun)) == 1
