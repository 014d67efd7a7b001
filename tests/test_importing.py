"""Imports: import runs, error reports, the import job and `shopcrm import`."""
from __future__ import annotations

import csv
import json

from click.testing import CliRunner
from sqlalchemy import func, select

from shopcrm.cli import build_cli
from shopcrm.db import session_scope
from shopcrm.importing import create_import_run, run_import
from shopcrm.jobs import enqueue, job_status
from shopcrm.models import Customer, ImportRun, Order, Shop
from tests.files.test_source import TAOBAO_HEADER, TAOBAO_ROWS, write_csv


def make_shop(config) -> int:
    with session_scope(config) as session:
        shop = Shop(name="导入测试店")
        session.add(shop)
        session.flush()
        return shop.id


def bad_file(tmp_path):
    rows = [list(r) for r in TAOBAO_ROWS]
    rows[1][2] = "abc"
    return write_csv(tmp_path / "orders.csv", TAOBAO_HEADER, rows, "gbk")


def test_an_import_keeps_good_rows_and_reports_bad_ones(config, tmp_path):
    shop_id = make_shop(config)
    path = bad_file(tmp_path)
    run_id = create_import_run(config, shop_id, "orders", {"path": str(path), "filename": "orders.csv"})
    result = run_import(config, run_id)
    assert (result["status"], result["rows"], result["inserted"], result["errors"]) == ("finished", 3, 2, 1)
    with open(result["error_report"], encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["row", "column", "reason", "value"], ["3", "买家实际支付金额", "not an amount: 'abc'", "abc"]]
    with session_scope(config) as session:
        run = session.get(ImportRun, run_id)
        assert (run.status, run.inserted, run.errors, run.error_report) == ("finished", 2, 1, result["error_report"])
        assert run.finished_at is not None
        assert session.scalar(select(func.count()).select_from(Customer)) == 2


def test_a_file_that_cannot_be_read_fails_the_run_with_its_message(config, tmp_path):
    shop_id = make_shop(config)
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    run_id = create_import_run(config, shop_id, "orders", {"path": str(path), "filename": "上传.csv"})
    result = run_import(config, run_id)
    assert result["status"] == "failed" and result["message"] == "上传.csv: the file is empty"
    with session_scope(config) as session:
        assert session.get(ImportRun, run_id).message == "上传.csv: the file is empty"


def test_the_import_job_reports_progress(config, tmp_path):
    shop_id = make_shop(config)
    path = bad_file(tmp_path)
    run_id = create_import_run(config, shop_id, "orders", {"path": str(path), "filename": "orders.csv"})
    job_id = enqueue("import.run", wait=True, import_run_id=run_id)
    status = job_status(job_id)
    assert status["status"] == "finished"
    assert (status["done"], status["total"]) == (3, 3)
    assert status["result"]["inserted"] == 2


def test_cli_import_twice_is_idempotent(config, tmp_path):
    make_shop(config)
    path = write_csv(tmp_path / "orders.csv", TAOBAO_HEADER, TAOBAO_ROWS)
    runner = CliRunner()
    first = json.loads(runner.invoke(build_cli(), ["import", "orders", str(path), "--json"]).output)
    second = json.loads(runner.invoke(build_cli(), ["import", "orders", str(path), "--json"]).output)
    assert (first["inserted"], first["errors"], first["error_report"]) == (3, 0, None)
    assert (second["inserted"], second["updated"], second["unchanged"]) == (0, 0, 3)
    with session_scope(config) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 3


def test_cli_import_with_a_mapping_and_a_named_shop(config, tmp_path):
    make_shop(config)
    path = write_csv(tmp_path / "o.csv", ["单号", "手机", "状态", "下单时间"], [["X1", "13800000000", "paid", "2026-01-01"]])
    result = CliRunner().invoke(build_cli(), [
        "import", "orders", str(path), "--shop", "导入测试店", "--map", "单号=order_id", "--map", "手机=mobile",
        "--map", "状态=status", "--map", "下单时间=created_at"])
    assert result.exit_code == 0, result.output
    assert "1 rows, 1 new, 0 updated, 0 unchanged, 0 with errors" in result.output


def test_cli_import_explains_bad_arguments(config, tmp_path):
    make_shop(config)
    path = write_csv(tmp_path / "o.csv", ["foo"], [["1"]])
    runner = CliRunner()
    bad_map = runner.invoke(build_cli(), ["import", "orders", str(path), "--map", "foo=colour"])
    assert bad_map.exit_code == 2 and "'colour' is not a field of orders" in bad_map.output
    no_shop = runner.invoke(build_cli(), ["import", "orders", str(path), "--shop", "无此店"])
    assert no_shop.exit_code == 1 and "no shop named '无此店'" in no_shop.output
    no_layout = runner.invoke(build_cli(), ["import", "orders", str(path)])
    assert no_layout.exit_code == 1 and "the columns match no orders layout" in no_layout.output


def test_cli_imports_reviews_of_imported_orders_and_reports_the_ones_of_unknown_orders(config, tmp_path):
    from shopcrm.models import Review
    from tests.files.test_source import REVIEW_HEADER

    make_shop(config)
    runner = CliRunner()
    runner.invoke(build_cli(), ["import", "orders", str(write_csv(tmp_path / "orders.csv", TAOBAO_HEADER, TAOBAO_ROWS))])
    path = write_csv(tmp_path / "评价.csv", REVIEW_HEADER, [
        [TAOBAO_ROWS[0][0], "保温杯", "差评", "杯子有划痕", "2026-11-16 21:40:00"],
        ["9999", "茶叶", "好评", "", "2026-11-17 08:00:00"],
    ], "gbk")
    first = json.loads(runner.invoke(build_cli(), ["import", "reviews", str(path), "--json"]).output)
    assert (first["status"], first["rows"], first["inserted"], first["errors"]) == ("finished", 2, 1, 1)
    with open(first["error_report"], encoding="utf-8-sig") as report:
        assert list(csv.reader(report))[1] == [
            "3", "order_id", "order 9999 is not in ShopCRM: import the orders before their reviews", "9999"]
    second = json.loads(runner.invoke(build_cli(), ["import", "reviews", str(path), "--json"]).output)
    assert (second["inserted"], second["unchanged"]) == (0, 1)
    with session_scope(config) as session:
        review = session.scalars(select(Review)).one()
        order = session.scalars(select(Order).where(Order.platform_order_id == "3712893019283746")).one()
        assert (review.order_id, review.customer_id, review.is_bad) == (order.id, order.customer_id, True)
