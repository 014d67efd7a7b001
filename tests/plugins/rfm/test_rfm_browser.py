"""The RFM page in a real browser (Debian's chromium driven by Playwright) on demo data: the heat
map and the class table show, and a class row opens the list of its customers.

The browser fixtures are the web UI's (tests/web/browser_fixtures.py): ``/usr/bin/chromium`` is
required on CI (``CI`` set) and the test is skipped elsewhere without it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shopcrm.config import Config
from shopcrm.demo_data import generate
from shopcrm.labels import run_all
from shopcrm.models import User
from shopcrm.shops import default_shop
from tests.web.browser_fixtures import CONSOLE_ERRORS, chromium, live_url, page  # noqa: F401  (fixtures)
from tests.web.web_support import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_shop(config: Config, engine: Engine, session: Session) -> int:
    """The default shop with demo customers and orders, labelled by the RFM segmenter."""
    shop = default_shop(session)
    session.commit()
    generate(engine, shop.id, customers=300, orders=700)
    run_all(config, shop.id, ["rfm"])
    return shop.id


def test_the_rfm_page_shows_the_heat_map_and_a_class_opens_its_customers(
    page: Page, live_url: str, demo_shop: int, make_user: Callable[..., User],
    tmp_path: Path,
) -> None:
    browser, errors = page, CONSOLE_ERRORS[page]
    make_user("boss", "admin")
    browser.goto(f"{live_url}/login")
    browser.get_by_label("用户名").fill("boss")
    browser.get_by_label("密码").fill(PASSWORD)
    browser.get_by_role("button", name="登录").click()
    expect(browser.get_by_role("heading", name="仪表盘", level=1)).to_be_visible()

    browser.get_by_role("link", name="RFM 分析").click()
    expect(browser.get_by_role("heading", name="RFM 分析", level=1)).to_be_visible()
    grid = browser.locator("#rfm-grid")
    expect(grid).to_be_visible()
    expect(grid.locator("td.heat")).to_have_count(25)
    expect(grid.locator("td.heat-10")).not_to_have_count(0)
    classes = browser.locator("#rfm-classes")
    expect(classes).to_contain_text("重要价值客户")
    expect(classes.locator("tbody tr")).to_have_count(8)
    browser.screenshot(path=str(tmp_path / "rfm.png"), full_page=True)

    counts = classes.locator("tbody tr td:nth-child(2)").all_inner_texts()
    index = next(i for i, count in enumerate(counts) if count.replace(",", "").strip() != "0")
    row = classes.locator("tbody tr").nth(index)
    value = row.get_attribute("data-value")
    assert value
    row.get_by_role("link", name=value).click()
    expect(browser.get_by_role("heading", name=f"RFM 分类：{value}", level=1)).to_be_visible()
    expect(browser.locator("#rfm-members tbody tr")).not_to_have_count(0)
    expect(browser.locator("#rfm-members tbody tr").first).to_contain_text(value)
    assert errors == []
