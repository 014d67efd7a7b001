"""A campaign in a real browser: the wizard's live count and preview (an unknown variable named
while it is typed), the confirmation, and the campaign page following the send without a reload
of its own until the report shows. Debian's chromium through Playwright, as in ``test_browser.py``
(whose fixtures this uses); fails on any browser console error, CSP violations included.

Jobs run in the app's process (no Redis); the test sends the outbox itself with
:func:`shopcrm.dispatch.drain` while the page polls, as ``shopcrm serve``'s dispatcher would.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from browser_fixtures import CONSOLE_ERRORS, chromium, live_url, page  # noqa: F401  (fixtures)
from shopcrm.config import Config
from shopcrm.db import session_scope
from shopcrm.dispatch import drain
from shopcrm.jobs import wait_for
from shopcrm.models import Message, Segment, User
from shopcrm.sending_policy import save as save_policy
from shopcrm.shops import default_shop
from web_support import PASSWORD, make_customer

pytestmark = pytest.mark.browser

CUSTOMERS = 8


def test_an_operator_sends_a_campaign_and_reads_its_report(
    page: Page, live_url: str, operator: User, config: Config, tmp_path: Path  # noqa: F811
) -> None:
    with session_scope(config) as session:
        shop = default_shop(session)
        shop.sms_signature = "测试店"
        session.add_all(make_customer(shop.id, f"buyer{i}", mobile=f"1390000{i:04d}", sms_reachable=True)
                        for i in range(CUSTOMERS))
        session.add(Segment(shop_id=shop.id, name="全部客户", rules={"all": []}))
        save_policy(session, shop.id, {"quiet_start": 0, "quiet_end": 0})  # whatever the hour of the run

    page.goto(f"{live_url}/login?next=/campaigns/")
    page.get_by_label("用户名").fill("ops")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="营销活动", level=1)).to_be_visible()
    page.get_by_role("button", name="新建营销活动").click()

    # 1. The audience: its count follows the choice.
    page.get_by_label("活动名称").fill("双十一预热")
    page.get_by_label("分群", exact=True).select_option(label="全部客户")
    expect(page.locator("#audience-count")).to_have_attribute("data-count", str(CUSTOMERS))

    # 2. The message: an unknown variable is named while typing, then the preview and the cost.
    page.get_by_label("渠道").select_option(label="短信沙箱")
    text = page.get_by_label("短信内容", exact=True)
    text.fill("${name}您好，领取${coupon}")
    expect(page.locator("#message-error")).to_contain_text("未知变量：${coupon}")
    text.fill("${name}您好，双十一全场五折")
    expect(page.locator("#sms-preview")).to_have_text("【测试店】张伟您好，双十一全场五折 拒收请回复R")
    expect(page.locator("#message-error")).to_have_count(0)
    expect(page.locator("#sms-cost")).to_have_text(f"¥{0.045 * CUSTOMERS:.2f}")

    # 3. The rules of the shop, no control group, now.
    expect(page.locator("#sending-rules")).to_contain_text("每位客户 7 天内最多收到 2 条营销短信")
    page.screenshot(path=str(tmp_path / "campaign-wizard.png"), full_page=True)
    page.get_by_role("button", name="检查并确认").click()

    # 4. Confirm, and send.
    expect(page.get_by_role("heading", name="确认营销活动", level=1)).to_be_visible()
    expect(page.locator("#confirm-when")).to_have_text("立即")
    page.screenshot(path=str(tmp_path / "campaign-confirm.png"), full_page=True)
    page.get_by_role("button", name="发送", exact=True).click()
    expect(page.get_by_role("heading", name="双十一预热", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("活动 双十一预热 正在发送。")

    found = re.search(r"/campaigns/(\d+)\?job=(\d+)$", page.url)
    assert found, page.url
    campaign_id, job_id = int(found.group(1)), int(found.group(2))
    assert wait_for(job_id, config, timeout=30)["status"] == "finished"
    expect(page.locator("#campaign-progress")).to_have_attribute("data-status", "sending")

    def settled() -> bool:
        with session_scope(config) as session:
            return not session.scalar(select(func.count()).select_from(Message).where(
                Message.campaign_id == campaign_id, Message.status.in_(("pending", "sending"))))

    drain(config, settled, timeout=30)

    # The page notices by itself and shows the report.
    expect(page.locator("#campaign-progress")).to_have_attribute("data-status", "sent", timeout=15_000)
    sent = page.locator('#report-figures tr[data-figure="sent"] td').first
    expect(sent).to_have_text(str(CUSTOMERS))
    target = page.locator('#report-figures tr[data-figure="target"] td').first
    expect(target).to_have_text(str(CUSTOMERS))
    expect(page.locator("#report-days tbody tr")).to_have_count(7)
    # Both charts drawn from the same days as the table, each with its own series.
    drawn = page.evaluate("""() => ['buyers-chart', 'sales-chart'].map(id => {
        const chart = window.Chart && window.Chart.getChart(id);
        return chart && [chart.data.labels.length, chart.data.datasets.map(d => d.label)];
    })""")
    assert drawn == [[7, ["购买人数"]], [7, ["销售额（元）"]]]
    page.screenshot(path=str(tmp_path / "campaign-report.png"), full_page=True)

    page.get_by_role("link", name="返回营销活动").click()
    row = page.locator(f"#campaign-{campaign_id}")
    expect(row).to_contain_text("已发送")
    expect(row).to_contain_text(str(CUSTOMERS))
    assert CONSOLE_ERRORS[page] == []
