"""The import pages: upload, preview and column mapping, the import job's result, the error
report, the history, and who may do what."""
from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from shopcrm.config import Config
from shopcrm.models import AuditLog, Customer, ImportRun, Order, User
from shopcrm.shops import default_shop
from shopcrm.web import column_mapping
from shopcrm.web.uploads import KEEP_IMPORTED_SECONDS, STALE_SECONDS, remove_stale
from tests.files.test_source import TAOBAO_HEADER, TAOBAO_ROWS, write_csv
from web_support import csrf_token, page_token, text

POLL = 'hx-trigger="every 1s"'


def taobao_rows_with_one_bad() -> list[list[str]]:
    bad = list(TAOBAO_ROWS[0])
    bad[0] = "3712893019283799"
    bad[7] = "昨天"  # 订单创建时间
    return [*TAOBAO_ROWS, bad]


def upload(client: FlaskClient, content: bytes, filename: str, kind: str = "orders") -> TestResponse:
    token = page_token(client, "/imports/")
    return client.post("/imports/", data={"kind": kind, "file": (io.BytesIO(content), filename),
                                          "csrf_token": token},
                       content_type="multipart/form-data")


def preview_url(response: TestResponse) -> str:
    assert response.status_code == 302, text(response)
    location = response.headers["Location"]
    assert location.startswith("/imports/uploads/")
    return location


def confirm(client: FlaskClient, url: str, mapping: dict[str, str] | None = None) -> TestResponse:
    """Post the preview's mapping form as the page fills it, with ``mapping`` changes
    (form field name -> value)."""
    page = text(client.get(url))
    data = dict(_selected_options(page))
    data.update(mapping or {})
    data["csrf_token"] = csrf_token(page)
    return client.post(url, data=data)


def _selected_options(page: str) -> list[tuple[str, str]]:
    found = []
    for match in re.finditer(r'<select id="(column-\d+)" name="column-\d+">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', match.group(2))
        found.append((match.group(1), chosen.group(1) if chosen else ""))
    return found


def wait_for_result(client: FlaskClient, run_id: int, timeout: float = 30.0) -> str:
    """The result fragment, asked for as htmx does until it stops asking for itself."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/imports/runs/{run_id}/result", headers={"HX-Request": "true"})
        assert response.status_code == 200
        fragment = text(response)
        assert "<html" not in fragment
        if POLL not in fragment:
            return fragment
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.1)


def counts(fragment: str) -> dict[str, int]:
    """The result's counts by name (rows, inserted, updated, unchanged, errors)."""
    found = re.findall(r'id="count-(\w+)"><span class="count-label">[^<]*</span>'
                       r'<span class="count-value">([\d,]+)</span>', fragment)
    return {name: int(value.replace(",", "")) for name, value in found}


def run_id_of(response: TestResponse) -> int:
    assert response.status_code == 302, text(response)
    location = response.headers["Location"]
    assert location.startswith("/imports/runs/"), location
    return int(location.rsplit("/", 1)[1])


@pytest.fixture(autouse=True)
def job_runner_of_this_instance(config: Config) -> None:
    """Import jobs of this test run with this test's configuration.

    The embedded job runner is kept per database URL with the configuration it was first made
    with. On PostgreSQL every test shares one URL but has its own instance folder, where the
    import job must write its error report; so each test starts a runner of its own.
    """
    from shopcrm.jobs import runner

    runner._runners.pop(config.database_url, None)


@pytest.fixture
def operator_client(login_as: Callable[[User], FlaskClient], operator: User) -> FlaskClient:
    return login_as(operator)


def gbk_taobao_file(tmp_path: Path) -> bytes:
    return write_csv(tmp_path / "orders.csv", TAOBAO_HEADER, taobao_rows_with_one_bad(), "gbk").read_bytes()


def test_an_operator_imports_a_gbk_taobao_export_with_a_bad_row(
    operator_client: FlaskClient, operator: User, session: Session, tmp_path: Path, config: Config
) -> None:
    url = preview_url(upload(operator_client, gbk_taobao_file(tmp_path), "淘宝订单.csv"))
    page = text(operator_client.get(url))
    assert "淘宝订单.csv" in page
    assert "已识别格式：淘宝/天猫导出。" in page
    assert "CSV (GBK" in page or "CSV (GB18030" in page
    assert "tb_小王" in page and "保温杯 500ml" in page  # the first rows, decoded
    assert "138****5678" in page and "13812345678" not in page  # masked, as everywhere
    assert '<option value="order_id" selected>' in page

    run_id = run_id_of(confirm(operator_client, url))
    run_page = text(operator_client.get(f"/imports/runs/{run_id}"))
    assert "淘宝订单.csv" in run_page and 'id="import-result"' in run_page
    fragment = wait_for_result(operator_client, run_id)
    assert 'data-status="finished"' in fragment
    assert counts(fragment) == {"rows": 4, "inserted": 3, "updated": 0, "unchanged": 0, "errors": 1}
    assert f"/imports/runs/{run_id}/errors.csv" in fragment

    session.rollback()
    run = session.get(ImportRun, run_id)
    assert run is not None and run.created_by == operator.id and run.job_id is not None
    assert run.params["preset"] is None and run.params["mapping"]["订单编号"] == "order_id"
    assert session.scalar(select(func.count()).select_from(Order)) == 3
    assert session.scalar(select(func.count()).select_from(Customer)) == 3
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "import.start"))
    assert entry is not None and entry.user_id == operator.id and entry.target == f"import:{run_id}"
    assert entry.details == {"kind": "orders", "filename": "淘宝订单.csv"}

    report = operator_client.get(f"/imports/runs/{run_id}/errors.csv")
    assert report.status_code == 200
    assert report.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in report.headers["Content-Disposition"]
    content = report.get_data().decode("utf-8-sig")
    # In the language of the operator who started the import (Chinese, the default).
    assert content.splitlines()[0] == "行号,列,原因,值"
    assert "5,订单创建时间,不是日期时间：'昨天'" in content


def test_importing_the_same_file_again_changes_nothing(
    operator_client: FlaskClient, tmp_path: Path
) -> None:
    content = write_csv(tmp_path / "o.csv", TAOBAO_HEADER, TAOBAO_ROWS, "gbk").read_bytes()
    first = run_id_of(confirm(operator_client, preview_url(upload(operator_client, content, "o.csv"))))
    wait_for_result(operator_client, first)
    second = run_id_of(confirm(operator_client, preview_url(upload(operator_client, content, "o.csv"))))
    fragment = wait_for_result(operator_client, second)
    assert counts(fragment) == {"rows": 3, "inserted": 0, "updated": 0, "unchanged": 3, "errors": 0}
    assert "每一行都已读取，没有错误。" in fragment
    assert "/errors.csv" not in fragment


def test_an_unknown_layout_is_mapped_by_hand(
    operator_client: FlaskClient, session: Session, tmp_path: Path
) -> None:
    content = write_csv(tmp_path / "erp.csv", ["单号", "客户手机", "状态", "下单时间", "备注"], [
        ["E-1", "13800001111", "已付款占位", "2026-03-01 10:00:00", "x"],
        ["E-2", "13800002222", "paid", "2026-03-02 10:00:00", "y"],
    ]).read_bytes()
    url = preview_url(upload(operator_client, content, "erp.csv"))
    page = text(operator_client.get(url))
    assert "这些列不符合任何已知格式" in page
    assert "淘宝/天猫导出 包含这些列：订单编号、买家会员名、订单状态和订单创建时间。" in page
    assert '<option value="order_id" selected>' not in page

    refused = confirm(operator_client, url)
    assert refused.status_code == 200
    assert "请选择包含以下内容的列：订单号、订单状态、下单时间和买家ID 或 手机号。" in text(refused)

    columns = {"column-0": "order_id", "column-1": "mobile", "column-2": "status",
               "column-3": "created_at"}
    run_id = run_id_of(confirm(operator_client, url, columns))
    fragment = wait_for_result(operator_client, run_id)
    assert counts(fragment) == {"rows": 2, "inserted": 1, "updated": 0, "unchanged": 0, "errors": 1}
    session.rollback()
    run = session.get(ImportRun, run_id)
    assert run is not None
    assert run.params["mapping"] == {"单号": "order_id", "客户手机": "mobile", "状态": "status",
                                     "下单时间": "created_at"}
    order = session.scalar(select(Order))
    assert order is not None and order.platform_order_id == "E-2"


def test_the_same_field_for_two_columns_is_refused(operator_client: FlaskClient, tmp_path: Path) -> None:
    content = write_csv(tmp_path / "o.csv", TAOBAO_HEADER, TAOBAO_ROWS).read_bytes()
    url = preview_url(upload(operator_client, content, "o.csv"))
    response = confirm(operator_client, url, {"column-4": "mobile"})  # 收货人姓名 as a second mobile
    assert response.status_code == 200
    assert "手机号 被选给了多列（收货人姓名和联系手机）：只能选给一列。" in text(response)
    assert 'id="column-4" name="column-4"' in text(response)


def test_a_field_outside_the_kind_cannot_be_posted(operator_client: FlaskClient, tmp_path: Path) -> None:
    content = write_csv(tmp_path / "o.csv", TAOBAO_HEADER, TAOBAO_ROWS).read_bytes()
    url = preview_url(upload(operator_client, content, "o.csv"))
    assert confirm(operator_client, url, {"column-0": "password_hash"}).status_code == 400


def test_a_layout_can_be_chosen_to_fill_the_mapping(
    operator_client: FlaskClient, admin_client: FlaskClient, tmp_path: Path
) -> None:
    content = write_csv(tmp_path / "o.csv", TAOBAO_HEADER, TAOBAO_ROWS).read_bytes()
    url = preview_url(upload(operator_client, content, "o.csv"))
    assert "13812345678" in text(admin_client.get(url))  # administrators see numbers in full
    generic = text(operator_client.get(url + "?preset=generic"))
    assert '<option value="generic" selected>' in generic
    assert '<option value="order_id" selected>' not in generic  # generic reads no Chinese header
    assert '<option value="order_id" selected>' in text(operator_client.get(url + "?preset=nonsense"))


@pytest.mark.parametrize(
    ("content", "filename", "reason"),
    [
        (b"", "empty.csv", "文件是空的"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", "不是 CSV 或 XLSX 文件"),
        (b"PK\x03\x04not really a workbook", "broken.xlsx", "无法读取的 XLSX 工作簿"),
    ],
)
def test_a_file_that_cannot_be_read_gets_one_clear_message_and_nothing_is_kept(
    operator_client: FlaskClient, config: Config, content: bytes, filename: str, reason: str
) -> None:
    response = upload(operator_client, content, filename)
    assert response.status_code == 200
    page = text(response)
    assert "无法导入此文件：" in page and reason in page and filename in page
    assert 'type="file"' in page  # the form is there to try another file
    assert list((config.instance_path / "uploads").iterdir()) == []


def test_a_file_over_the_size_limit_is_refused_with_a_message(
    app: Flask, operator_client: FlaskClient, config: Config
) -> None:
    token = page_token(operator_client, "/imports/")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = operator_client.post("/imports/", data={
        "kind": "orders", "file": (io.BytesIO(b"x" * 4096), "big.csv"), "csrf_token": token},
        content_type="multipart/form-data")
    assert response.status_code == 413
    assert "文件超过 200 MB" in text(response)
    assert not (config.instance_path / "uploads").exists()


def test_no_file_chosen_is_a_form_error(operator_client: FlaskClient) -> None:
    token = page_token(operator_client, "/imports/")
    response = operator_client.post("/imports/", data={"kind": "orders", "csrf_token": token},
                                    content_type="multipart/form-data")
    assert response.status_code == 200
    assert "请选择要上传的文件。" in text(response)


def test_an_excel_customer_file_is_imported(
    operator_client: FlaskClient, session: Session, tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["customer_id", "name", "mobile", "gender", "tags"])
    sheet.append(["tb_a", "甲", 13800000001, "女", "vip,老客"])
    sheet.append(["tb_b", "乙", "13800000002", "男", ""])
    workbook.save(tmp_path / "members.xlsx")
    response = upload(operator_client, (tmp_path / "members.xlsx").read_bytes(), "会员.xlsx", "customers")
    url = preview_url(response)
    page = text(operator_client.get(url))
    assert "Excel (.xlsx)" in page and "已识别格式：通用（英文列名）。" in page
    run_id = run_id_of(confirm(operator_client, url))
    fragment = wait_for_result(operator_client, run_id)
    assert counts(fragment)["inserted"] == 2
    assert "新增、更新和未变均按客户计数。" in fragment
    session.rollback()
    assert session.scalar(select(Customer.tags).where(Customer.platform_id == "tb_a")) == ["vip", "老客"]


def test_a_taobao_review_export_is_imported_after_the_orders(
    operator_client: FlaskClient, session: Session, tmp_path: Path
) -> None:
    from shopcrm.models import Review
    from tests.files.test_source import REVIEW_HEADER

    orders_url = preview_url(upload(operator_client, gbk_taobao_file(tmp_path), "淘宝订单.csv"))
    wait_for_result(operator_client, run_id_of(confirm(operator_client, orders_url)))
    reviews = write_csv(tmp_path / "评价.csv", REVIEW_HEADER, [
        ["3712893019283746", "保温杯", "差评", "<b>杯子有划痕</b>", "2026-11-16 21:40:00"],
        ["404", "茶叶", "好评", "", "2026-11-17 08:00:00"],
    ], "gbk").read_bytes()
    url = preview_url(upload(operator_client, reviews, "评价.csv", "reviews"))
    page = text(operator_client.get(url))
    assert "已识别格式：淘宝/天猫导出。" in page
    assert "&lt;b&gt;杯子有划痕&lt;/b&gt;" in page  # the first rows, escaped
    assert '<option value="rating" selected>' in page
    fragment = wait_for_result(operator_client, run_id_of(confirm(operator_client, url)))
    assert counts(fragment) == {"rows": 2, "inserted": 1, "updated": 0, "unchanged": 0, "errors": 1}
    assert "新增、更新和未变均按评价计数。" in fragment
    session.rollback()
    assert session.scalars(select(Review.content)).all() == ["<b>杯子有划痕</b>"]


def test_confirming_twice_starts_one_import(
    operator_client: FlaskClient, session: Session, tmp_path: Path
) -> None:
    content = write_csv(tmp_path / "o.csv", TAOBAO_HEADER, TAOBAO_ROWS).read_bytes()
    url = preview_url(upload(operator_client, content, "o.csv"))
    page = text(operator_client.get(url))
    data = {**dict(_selected_options(page)), "csrf_token": csrf_token(page)}
    first = run_id_of(operator_client.post(url, data=data))
    again = operator_client.post(url, data=data)
    assert again.headers["Location"] == f"/imports/runs/{first}"
    assert operator_client.get(url).headers["Location"] == f"/imports/runs/{first}"
    wait_for_result(operator_client, first)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ImportRun)) == 1


def test_a_file_can_be_deleted_instead_of_imported(
    operator_client: FlaskClient, config: Config, tmp_path: Path
) -> None:
    content = write_csv(tmp_path / "o.csv", TAOBAO_HEADER, TAOBAO_ROWS).read_bytes()
    url = preview_url(upload(operator_client, content, "o.csv"))
    token = csrf_token(text(operator_client.get(url)))
    response = operator_client.post(url + "/discard", data={"csrf_token": token})
    assert response.headers["Location"] == "/imports/"
    assert list((config.instance_path / "uploads").iterdir()) == []
    assert operator_client.get(url).status_code == 404


@pytest.mark.parametrize("token", ["..", "0" * 31, "g" * 32, "0" * 32, "%2e%2e%2fsecret_key"])
def test_an_upload_is_found_only_by_a_token_of_ours(operator_client: FlaskClient, token: str) -> None:
    assert operator_client.get(f"/imports/uploads/{token}").status_code == 404


def test_uploads_never_imported_are_removed_after_a_day(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    for token in ("a" * 32, "b" * 32):
        (folder / f"{token}.csv").write_bytes(b"x")
        (folder / f"{token}.json").write_text("{}")
    (folder / f"{'b' * 32}.claimed").write_bytes(b"")
    assert remove_stale(folder, now=time.time() + 60) == 0
    assert remove_stale(folder, now=time.time() + STALE_SECONDS + 1) == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{'b' * 32}.csv", f"{'b' * 32}.json",
                                                              f"{'b' * 32}.claimed"])


def test_imported_uploads_are_removed_a_month_after_their_import(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    token = "c" * 32
    for name in (f"{token}.xlsx", f"{token}.json", f"{token}.claimed"):
        (folder / name).write_bytes(b"x")
    assert remove_stale(folder, now=time.time() + KEEP_IMPORTED_SECONDS - 60) == 0
    assert remove_stale(folder, now=time.time() + KEEP_IMPORTED_SECONDS + 1) == 1
    assert list(folder.iterdir()) == []


def test_the_error_report_is_served_only_from_the_reports_folder(
    admin_client: FlaskClient, session: Session, config: Config
) -> None:
    shop = default_shop(session)
    outside = config.instance_path / "secret_key"
    run = ImportRun(shop_id=shop.id, source="file", kind="orders", filename="x.csv", params={},
                    status="finished", error_report=str(outside))
    escaping = ImportRun(shop_id=shop.id, source="file", kind="orders", filename="y.csv", params={},
                         status="finished",
                         error_report=str(config.instance_path / "reports" / ".." / "secret_key"))
    session.add_all([run, escaping])
    session.commit()
    assert outside.exists()
    assert admin_client.get(f"/imports/runs/{run.id}/errors.csv").status_code == 404
    assert admin_client.get(f"/imports/runs/{escaping.id}/errors.csv").status_code == 404
    assert admin_client.get("/imports/runs/424242/errors.csv").status_code == 404


def test_viewers_see_the_history_but_cannot_import(
    login_as: Callable[[User], FlaskClient], viewer: User, operator: User, session: Session,
    config: Config
) -> None:
    shop = default_shop(session)
    reports = config.instance_path / "reports"
    reports.mkdir()
    (reports / "import-1-errors.csv").write_text("row,column,reason,value\n", encoding="utf-8")
    run = ImportRun(shop_id=shop.id, source="file", kind="customers", filename="会员.csv", params={},
                    status="finished", rows=10, inserted=7, updated=2, unchanged=0, errors=1,
                    error_report=str(reports / "import-1-errors.csv"), created_by=operator.id)
    session.add(run)
    session.commit()
    client = login_as(viewer)
    page = text(client.get("/"))
    assert 'href="/imports/history"' in page and "导入记录" in page
    history = text(client.get("/imports/history"))
    assert "会员.csv" in history and "客户" in history and "ops" in history and "已完成" in history
    assert "仅限运营" in history and f"/imports/runs/{run.id}/errors.csv" not in history
    index = text(client.get("/imports/"))
    assert 'type="file"' not in index and "会员.csv" in index
    result = text(client.get(f"/imports/runs/{run.id}"))
    assert "运营人员可以下载错误报告。" in result
    token = csrf_token(index)
    assert client.post("/imports/", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/imports/runs/{run.id}/errors.csv").status_code == 403
    assert client.get("/imports/uploads/" + "0" * 32).status_code == 403

    operator_page = text(login_as(operator).get("/imports/history"))
    assert f"/imports/runs/{run.id}/errors.csv" in operator_page


def test_runs_of_another_shop_are_not_shown(admin_client: FlaskClient, session: Session) -> None:
    from shopcrm.models import Shop

    default_shop(session)
    other = Shop(name="别的店", sms_signature="")
    session.add(other)
    session.flush()
    run = ImportRun(shop_id=other.id, source="file", kind="orders", filename="theirs.csv", params={},
                    status="finished")
    session.add(run)
    session.commit()
    assert admin_client.get(f"/imports/runs/{run.id}").status_code == 404
    assert "theirs.csv" not in text(admin_client.get("/imports/history"))


def test_a_run_whose_job_failed_stops_polling_and_says_why(
    admin_client: FlaskClient, session: Session
) -> None:
    from shopcrm.models import JobRun

    shop = default_shop(session)
    job = JobRun(kind="import.run", args={}, status="failed", error="OSError: disk full\nTraceback")
    session.add(job)
    session.flush()
    run = ImportRun(shop_id=shop.id, source="file", kind="orders", filename="o.csv", params={},
                    status="running", job_id=job.id)
    session.add(run)
    session.commit()
    fragment = wait_for_result(admin_client, run.id)
    assert "导入已中止：OSError: disk full" in fragment and "Traceback" not in fragment


def test_a_failed_import_shows_the_core_message(admin_client: FlaskClient, session: Session) -> None:
    shop = default_shop(session)
    run = ImportRun(shop_id=shop.id, source="file", kind="orders", filename="o.csv", params={},
                    status="failed", message="o.csv: the file is empty")
    session.add(run)
    session.commit()
    fragment = wait_for_result(admin_client, run.id)
    assert "导入失败：o.csv: the file is empty" in fragment


def test_the_menu_leads_operators_to_the_import_page(operator_client: FlaskClient) -> None:
    page = text(operator_client.get("/imports/history"))
    assert '<a href="/imports/" aria-current="page">导入</a>' in page


# --- the column mapping, on its own -------------------------------------------------------------


def test_the_mapping_must_not_leave_out_a_column_named_like_a_field(app: Flask) -> None:
    headers = ["单号", "status", "created_at", "mobile", "手机"]
    form = {"column-0": "order_id", "column-1": "status", "column-2": "created_at",
            "column-3": "", "column-4": "mobile"}
    with app.test_request_context():
        result = column_mapping.read_mapping("orders", headers, form)
    assert result.errors == ["列“mobile”与一个字段同名，总是按 手机号 读取：请为它选择 手机号。"]


def test_the_missing_fields_rule_agrees_with_the_core(app: Flask) -> None:
    from itertools import combinations

    from shopcrm.files.presets import missing_fields

    candidates = ["order_id", "status", "created_at", "customer_id", "mobile"]
    with app.test_request_context():
        for size in range(len(candidates) + 1):
            for chosen in combinations(candidates, size):
                columns = {name: index for index, name in enumerate(chosen)}
                ours = column_mapping.missing_fields("orders", {i: n for n, i in columns.items()})
                assert bool(ours) == bool(missing_fields("orders", columns)), chosen
                assert len(ours) == len(missing_fields("orders", columns)), chosen


def test_columns_without_a_name_or_named_twice_are_not_offered() -> None:
    assert column_mapping.mappable_columns(["a", "", "A ", "b", "a"]) == [0, 3]
