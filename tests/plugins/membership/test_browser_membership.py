"""Membership in a real browser: an administrator reviews the tiers from the rules page, finds a
member by tier and redeems points on the customer's page; no console error, CSP included."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from shopcrm.models import User
from tests.web.browser_fixtures import CONSOLE_ERRORS, chromium, live_url, page  # noqa: F401  (fixtures)
from tests.web.web_support import PASSWORD

pytestmark = pytest.mark.browser


def test_an_admin_reviews_tiers_and_redeems_points(page: Page, live_url: str, make_user, session,
                                                   shop, feed) -> None:
    make_user("boss", "admin")
    feed("t1", "lin_xiaomei", "paid", "6000", mobile="13812345678")
    feed("t2", "zhao_lei", "paid", "80")
    page.goto(f"{live_url}/login")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="仪表盘", level=1)).to_be_visible()

    page.get_by_role("link", name="会员规则").click()
    expect(page.get_by_role("heading", name="会员规则", level=1)).to_be_visible()
    expect(page.get_by_label("等级 5 名称")).to_have_value("钻石会员")
    # htmx takes the form over once its script has run; a click before that posts the whole page
    page.wait_for_load_state()
    page.get_by_role("button", name="复核全部等级").click()
    expect(page.locator("#membership-progress .job-progress")).to_have_attribute(
        "data-status", "finished", timeout=15_000)

    page.get_by_role("link", name="会员", exact=True).click()
    page.get_by_role("link", name="金牌会员").click()
    expect(page.locator("table.striped")).to_contain_text("13812345678")  # administrators see full numbers
    page.get_by_role("link", name="lin_xiaomei").click()
    panel = page.locator("#membership-panel")
    expect(panel).to_contain_text("金牌会员")
    expect(panel.locator("#membership-points")).to_have_text("6,000")

    panel.get_by_role("link", name="调整或兑换积分").click()
    page.get_by_label("兑换").check()
    page.get_by_label("积分", exact=True).fill("500")
    page.get_by_label("原因").fill("兑换 50 元优惠券")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash-success")).to_contain_text("积分已变动 -500")
    expect(page.locator("#membership-points")).to_have_text("5,500")
    expect(page.locator("#membership-panel")).to_contain_text("兑换 50 元优惠券")
    assert CONSOLE_ERRORS[page] == []
