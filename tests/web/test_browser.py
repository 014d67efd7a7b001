"""The web UI in a real browser: Debian's chromium driven by Playwright, against the app served
on a free localhost port. Logs in, walks every page, changes the settings, switches language,
logs out; and fails on any browser console error, CSP violations included.

Playwright's own browser download is not used: the tests drive ``/usr/bin/chromium``
(``apt-get install chromium``). Without it they fail on CI (``CI`` set) and are skipped elsewhere.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser_fixtures import CONSOLE_ERRORS, chromium, live_url, page  # noqa: F401  (fixtures)
from shopcrm.models import User
from web_support import PASSWORD

pytestmark = pytest.mark.browser


def test_an_admin_walks_the_ui(page: Page, live_url: str, admin: User, tmp_path: Path) -> None:
    # Log in: the dashboard is the landing page.
    page.goto(f"{live_url}/")
    expect(page).to_have_url(f"{live_url}/login?next=/")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="仪表盘", level=1)).to_be_visible()
    expect(page.locator(".sidebar-shop")).to_have_text("我的店铺")
    expect(page.locator("#figure-customers .figure-value")).to_have_text("0")
    expect(page.locator(".topbar-user")).to_contain_text("boss")
    expect(page.locator(".topbar-user")).to_contain_text("管理员")
    page.wait_for_function("() => Boolean(window.Chart && window.Chart.getChart(document.querySelector("
                           "'#chart-sales canvas')))")
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    # Plugins.
    page.get_by_role("link", name="插件").click()
    expect(page.get_by_role("heading", name="插件", level=1)).to_be_visible()
    expect(page.locator("#plugin-default_menu")).to_contain_text("menu_items")

    # Users: create an operator.
    page.get_by_role("link", name="用户").click()
    page.locator("#username").fill("xiaoli")
    page.locator("#password").fill("long-enough-1")
    page.locator("#role").select_option("operator")
    page.get_by_role("button", name="创建用户").click()
    expect(page.get_by_role("status")).to_contain_text("已创建用户 xiaoli。")
    expect(page.locator("tbody tr", has_text="xiaoli")).to_contain_text("正常")
    page.screenshot(path=str(tmp_path / "users.png"), full_page=True)

    # Settings: a bracketed signature is refused, then a good one is saved.
    page.get_by_role("link", name="设置").click()
    page.get_by_label("店铺名称").fill("小满生活旗舰店")
    page.get_by_label("短信签名", exact=True).fill("【小满生活】")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-error")).to_contain_text("请不要输入【】括号")
    page.get_by_label("短信签名", exact=True).fill("小满生活")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("设置已保存。")
    expect(page.locator(".sidebar-shop")).to_have_text("小满生活旗舰店")
    expect(page.get_by_text("【小满生活】")).to_be_visible()

    # A job started through htmx (CSRF token in its header) shows its progress until done.
    page.get_by_role("button", name="重新计算客户统计").click()
    expect(page.locator("#refresh-progress .job-progress")).to_have_attribute("data-status", "finished")
    expect(page.locator("#refresh-progress")).to_contain_text("已完成")

    # Switch to English, which sticks across pages.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.locator("#figure-paying-customers")).to_contain_text("Paying customers")
    page.screenshot(path=str(tmp_path / "dashboard-en.png"), full_page=True)
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="仪表盘", level=1)).to_be_visible()

    # Log out.
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(f"{live_url}/login")
    expect(page.get_by_role("status")).to_contain_text("您已退出登录。")
    page.goto(f"{live_url}/admin/users")
    expect(page).to_have_url(f"{live_url}/login?next=/admin/users")

    assert CONSOLE_ERRORS[page] == []
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


def test_a_viewer_sees_no_admin_pages(page: Page, live_url: str, viewer: User) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("用户名").fill("guest")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="仪表盘", level=1)).to_be_visible()
    # The core's entries for a viewer, in order; installed plugins may add their own after them.
    expect(page.locator(".sidebar nav a")).to_contain_text(["仪表盘", "客户", "客户分群", "订单", "导入记录"])
    for admin_page in ("插件", "用户", "设置", "API 令牌"):
        expect(page.locator(".sidebar nav").get_by_role("link", name=admin_page, exact=True)).to_have_count(0)
    assert CONSOLE_ERRORS[page] == []
    page.goto(f"{live_url}/admin/settings")  # the browser logs the 403 as a console error
    expect(page.get_by_role("heading", name="无权访问", level=1)).to_be_visible()
