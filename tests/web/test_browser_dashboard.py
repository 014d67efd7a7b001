"""The dashboard in a real browser, on the demo shop: a viewer opens it, switches the period and
opens a chart's table. Debian's chromium through Playwright, as in ``test_browser.py`` (whose
fixtures this uses); fails on any browser console error, CSP violations included.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from shopcrm.config import Config
from shopcrm.db import get_engine, session_scope
from shopcrm.demo_data import generate
from shopcrm.models import User
from shopcrm.shops import default_shop
from browser_fixtures import CONSOLE_ERRORS, chromium, live_url, page  # noqa: F401  (fixtures)
from web_support import PASSWORD

pytestmark = pytest.mark.browser


def test_a_viewer_switches_the_period_and_opens_a_table(
    page: Page, live_url: str, viewer: User, config: Config, tmp_path: Path  # noqa: F811
) -> None:
    with session_scope(config) as session:
        shop_id = default_shop(session).id
    generate(get_engine(config), shop_id, customers=200, orders=900, seed=5)

    page.goto(f"{live_url}/login?next=/")
    page.get_by_label("用户名").fill("guest")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="仪表盘", level=1)).to_be_visible()
    expect(page.locator("#period")).to_have_value("30d")
    month_sales = page.locator("#figure-sales .figure-value").inner_text()
    page.wait_for_function("() => Boolean(window.Chart && window.Chart.getChart("
                           "document.querySelector('#chart-sales canvas')))")
    assert page.evaluate("() => document.querySelectorAll('canvas.dashboard-chart').length") >= 3

    # Switch to the last 90 days: the page reloads with that period and more sales.
    page.locator("#period").select_option("90d")
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(r"[?&]period=90d(&|$)"))
    expect(page.locator("#period")).to_have_value("90d")
    quarter_sales = page.locator("#figure-sales .figure-value").inner_text()
    assert float(quarter_sales.replace(",", "")) > float(month_sales.replace(",", ""))

    # The sales chart's numbers, one click away: 90 days, one row each.
    table = page.locator("#chart-sales details.chart-table table")
    expect(table).to_be_hidden()
    page.locator("#chart-sales summary").click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(90)
    expect(page.locator("#chart-sales a.chart-csv")).to_have_attribute("href", "/dashboard/sales.csv?period=90d")
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    # Picking dates asks for those days: the last 3 of the 90.
    last = page.locator("#period-to").input_value()
    first = (dt.date.fromisoformat(last) - dt.timedelta(days=2)).isoformat()
    page.locator("#period-from").fill(first)
    expect(page.locator("#period")).to_have_value("custom")
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"period=custom&from={first}&to={last}"))
    page.locator("#chart-sales summary").click()
    expect(table.locator("tbody tr")).to_have_count(3)
    assert CONSOLE_ERRORS[page] == []
