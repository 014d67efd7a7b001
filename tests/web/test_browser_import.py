"""Importing a file in a real browser: upload a GBK Taobao export with one bad row, check its
columns, import it, watch the progress and the result, download the error report; then the
API tokens page. Debian's chromium through Playwright, as in ``test_browser.py`` (whose
fixtures this uses); fails on any browser console error, CSP violations included.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from shopcrm.models import User
from tests.files.test_source import TAOBAO_HEADER, TAOBAO_ROWS, write_csv
from browser_fixtures import CONSOLE_ERRORS, chromium, live_url, page  # noqa: F401  (fixtures)
from test_import_page import job_runner_of_this_instance  # noqa: F401  (fixture)
from web_support import PASSWORD

pytestmark = pytest.mark.browser


def taobao_export(folder: Path) -> Path:
    """A seller-centre export as Excel users save it: GBK, with one row whose time is wrong."""
    bad = list(TAOBAO_ROWS[0])
    bad[0], bad[7] = "3712893019283799", "昨天"
    return write_csv(folder / "淘宝订单报表.csv", TAOBAO_HEADER, [*TAOBAO_ROWS, bad], "gbk")


def test_an_admin_imports_a_taobao_export_and_makes_an_api_token(
    page: Page, live_url: str, admin: User, tmp_path: Path  # noqa: F811
) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="仪表盘", level=1)).to_be_visible()

    # Upload.
    page.get_by_role("link", name="导入", exact=True).click()
    expect(page.get_by_role("heading", name="导入", level=1)).to_be_visible()
    expect(page.locator("#recent-imports")).to_contain_text("还没有导入过文件。")
    page.screenshot(path=str(tmp_path / "import-upload.png"), full_page=True)
    page.get_by_label("文件内容").select_option("orders")
    page.locator("#file").set_input_files(str(taobao_export(tmp_path)))
    page.get_by_role("button", name="上传并预览").click()

    # Preview: the layout is recognised, the rows decoded, the mapping filled in.
    expect(page.get_by_role("heading", name="核对列", level=1)).to_be_visible()
    expect(page.locator("#detected-layout")).to_have_text("已识别格式：淘宝/天猫导出。")
    expect(page.locator("#preview-rows")).to_contain_text("tb_小王")
    expect(page.locator("#preview-rows")).to_contain_text("保温杯 500ml")
    expect(page.get_by_label("订单编号")).to_have_value("order_id")
    expect(page.get_by_label("联系手机")).to_have_value("mobile")
    page.screenshot(path=str(tmp_path / "import-preview.png"), full_page=True)
    page.get_by_role("button", name="开始导入").click()

    # The job's progress bar, then the result.
    expect(page).to_have_url(re.compile(r"/imports/runs/\d+$"))
    expect(page.locator("#import-progress .job-progress")).to_have_attribute("data-status", "finished")
    expect(page.locator("#import-progress")).to_contain_text("导入文件")
    expect(page.locator("#import-result")).to_have_attribute("data-status", "finished")
    expect(page.locator("#count-rows .count-value")).to_have_text("4")
    expect(page.locator("#count-inserted .count-value")).to_have_text("3")
    expect(page.locator("#count-updated .count-value")).to_have_text("0")
    expect(page.locator("#count-unchanged .count-value")).to_have_text("0")
    expect(page.locator("#count-errors .count-value")).to_have_text("1")
    page.screenshot(path=str(tmp_path / "import-result.png"), full_page=True)

    # The error report lists the bad row.
    with page.expect_download() as info:
        page.get_by_role("button", name="下载错误报告").click()
    download = info.value
    assert re.fullmatch(r"import-\d+-errors\.csv", download.suggested_filename)
    report = Path(download.path()).read_bytes().decode("utf-8-sig").splitlines()
    assert report[0] == "行号,列,原因,值"  # in the language of the admin who imported it
    assert report[1:] == ["5,订单创建时间,不是日期时间：'昨天'（应为如 2026-11-11 10:00:00）,昨天"]

    # The history lists the run.
    page.get_by_role("link", name="导入记录").click()
    row = page.locator(".import-runs tbody tr").first
    expect(row).to_contain_text("淘宝订单报表.csv")
    expect(row).to_contain_text("boss")
    expect(row).to_contain_text("已完成")

    # The imported buyers are customers now: find one by the last four digits of her mobile.
    page.get_by_role("link", name="客户", exact=True).click()
    expect(page.get_by_role("heading", name="客户", level=1)).to_be_visible()
    page.get_by_label("搜索客户").fill("5678")
    expect(page.locator(".customers-table tbody tr")).to_have_count(1)
    expect(page.locator(".customers-table tbody")).to_contain_text("tb_小王")
    page.locator(".customers-table tbody a").first.click()
    expect(page.locator(".timeline")).to_contain_text("3712893019283746")
    page.screenshot(path=str(tmp_path / "imported-customer.png"), full_page=True)

    # API tokens: make one; it is shown once.
    page.get_by_role("link", name="API 令牌").click()
    expect(page.get_by_role("heading", name="API 令牌", level=1)).to_be_visible()
    expect(page.locator("#no-tokens")).to_be_visible()
    page.get_by_label("名称").fill("ERP")
    page.get_by_role("button", name="创建令牌").click()
    expect(page.locator("#new-token")).to_have_value(re.compile(r"^scrm_[\w-]{40,}$"))
    secret = page.locator("#new-token").input_value()
    page.screenshot(path=str(tmp_path / "api-token.png"), full_page=True)
    expect(page.locator(".tokens-table")).to_contain_text("ERP")
    page.get_by_role("link", name="API 令牌").click()
    expect(page.locator(".tokens-table")).to_contain_text("从未使用")
    assert secret not in page.content()

    assert CONSOLE_ERRORS[page] == []
    assert (tmp_path / "import-result.png").stat().st_size > 10_000
