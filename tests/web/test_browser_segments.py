"""Building a segment in a real browser, on the demo shop: add a condition, watch the live count
follow without a reload, edit the JSON, save, and find the segment in the list. Debian's
chromium through Playwright, as in ``test_browser.py`` (whose fixtures this uses); fails on any
browser console error, CSP violations included.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from shopcrm.config import Config
from shopcrm.db import get_engine, session_scope
from shopcrm.demo_data import generate
from shopcrm.models import Customer, User
from shopcrm.shops import default_shop
from browser_fixtures import CONSOLE_ERRORS, chromium, live_url, page  # noqa: F401  (fixtures)
from web_support import PASSWORD

pytestmark = pytest.mark.browser


def count_where(config: Config, *conditions: object) -> int:
    with session_scope(config) as session:
        return int(session.scalar(select(func.count()).select_from(Customer).where(*conditions)) or 0)


def test_an_operator_builds_counts_and_saves_a_segment(
    page: Page, live_url: str, operator: User, config: Config, tmp_path: Path  # noqa: F811
) -> None:
    with session_scope(config) as session:
        shop_id = default_shop(session).id
    generate(get_engine(config), shop_id, customers=300, orders=700, seed=3)
    everyone = count_where(config)
    repeaters = count_where(config, Customer.order_count >= 2)
    loyal = count_where(config, Customer.order_count >= 3)
    assert everyone > repeaters > loyal > 0

    page.goto(f"{live_url}/login?next=/segments/new")
    page.get_by_label("用户名").fill("ops")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="新建分群", level=1)).to_be_visible()
    count = page.locator("#segment-count")
    expect(count).to_have_attribute("data-count", str(everyone))  # no condition yet: everyone

    # Add a condition: paid orders at least 2; the count follows without a reload.
    page.get_by_role("button", name="添加条件").click()
    condition = page.locator(".condition").last
    condition.get_by_label("字段").select_option("order_count")
    condition.get_by_label("比较方式").select_option(">=")
    condition.get_by_label("值").fill("3")
    expect(count).to_have_attribute("data-count", str(loyal))
    condition.get_by_label("值").fill("2")
    expect(count).to_have_attribute("data-count", str(repeaters))
    expect(page.locator(".segment-sample tbody tr")).to_have_count(min(20, repeaters))

    # The JSON follows the form, and a mistake typed into it is shown, not counted as zero.
    page.locator("summary", has_text="规则 JSON").click()
    rules = page.get_by_label("规则 JSON", exact=True)
    expect(rules).to_have_value('{\n  "all": [\n    {\n      "field": "order_count",\n      "op": ">=",\n'
                                '      "value": 2\n    }\n  ]\n}')
    rules.fill('{"all": [{"field": "order_count", "op": ">=", "value": "lots"}]}')
    expect(page.locator(".rule-error")).to_contain_text("all[0].value: expected a number, not 'lots'")
    rules.fill('{"all": [{"field": "order_count", "op": ">=", "value": 2}]}')
    expect(count).to_have_attribute("data-count", str(repeaters))
    expect(condition.get_by_label("值")).to_have_value("2")
    page.screenshot(path=str(tmp_path / "segment-builder.png"), full_page=True)

    # Save, then find it in the list with its count.
    page.get_by_label("名称").fill("复购客户")
    page.get_by_role("button", name="保存分群").click()
    expect(page.get_by_role("status")).to_contain_text(f"已保存分群 复购客户：{repeaters} 位客户。")
    page.get_by_role("link", name="客户分群").click()
    row = page.locator("tbody tr", has_text="复购客户")
    expect(row).to_contain_text(str(repeaters))
    row.get_by_role("button", name="重新统计").click()
    expect(row).to_contain_text(str(repeaters))
    assert CONSOLE_ERRORS[page] == []
