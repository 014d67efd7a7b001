"""The automations page in a real browser: an operator opens it from the menu, is asked for a
subject only when choosing an email channel (and sees it previewed filled), sees the live preview
follow the message as it is typed, has an unknown variable refused, switches the paid thanks on
and sees it on in the list, with its chart drawn; no console error on the way."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from browser_fixtures import CONSOLE_ERRORS, chromium, live_url, page  # noqa: F401  (fixtures)
from shopcrm.models import AuditLog, Automation, User
from web_support import PASSWORD

pytestmark = pytest.mark.browser


def test_an_operator_switches_the_paid_thanks_on(page: Page, live_url: str, make_user: Callable[..., User],
                                                  session: Session, tmp_path: Path) -> None:
    make_user("xiaoli", "operator")
    page.goto(f"{live_url}/login")
    page.get_by_label("用户名").fill("xiaoli")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("link", name="自动关怀").click()
    expect(page.get_by_role("heading", name="自动关怀", level=1)).to_be_visible()
    row = page.locator("#automation-paid_thanks")
    expect(row).to_have_attribute("data-enabled", "off")
    drawn = page.evaluate("""() => {
        const chart = window.Chart && window.Chart.getChart('sent-chart');
        return chart && chart.data.datasets.map(d => [d.label, d.data.length]);
    }""")
    assert drawn == [["已发送", 30], ["已送达", 30]]
    row.get_by_role("link", name="设置并开启").click()

    expect(page.get_by_role("heading", name="付款感谢", level=1)).to_be_visible()
    expect(page.locator("#subject-field")).to_be_hidden()
    page.locator("#channel").select_option("email_smtp")  # emails have a subject: asked for
    expect(page.get_by_label("主题", exact=True)).to_be_visible()
    page.get_by_label("主题", exact=True).fill("${nickname}，订单已付款")
    expect(page.locator("#preview-subject")).to_contain_text("tb_zhangwei88，订单已付款")
    page.locator("#channel").select_option("sms_mock")
    expect(page.locator("#subject-field")).to_be_hidden()
    page.locator("#night").select_option("send")
    message = page.get_by_label("短信内容")
    message.fill("亲，订单${order_id}已付款，送您${coupon}")
    expect(page.locator("#preview-error")).to_contain_text("${coupon}")
    page.get_by_role("button", name="开启").click()
    expect(page.locator("#template_text-error")).to_contain_text("${coupon}")
    expect(page.locator("#switch-state")).to_have_text("未开启")

    page.get_by_label("短信内容").fill("亲，您的订单${order_id}已付款成功，感谢支持！")
    expect(page.locator("#preview-example")).to_contain_text("已付款成功，感谢支持！")
    page.get_by_role("button", name="开启").click()
    expect(page.get_by_role("status")).to_contain_text("“付款感谢”已开启。")
    expect(page.locator("#switch-state")).to_have_text("已开启")
    page.screenshot(path=str(tmp_path / "automation.png"), full_page=True)

    page.get_by_role("link", name="返回自动关怀").click()
    expect(page.locator("#automation-paid_thanks")).to_have_attribute("data-enabled", "on")
    expect(page.locator("#automation-paid_thanks")).to_contain_text("短信沙箱")
    page.screenshot(path=str(tmp_path / "automations.png"), full_page=True)

    session.rollback()
    made = session.scalar(select(Automation).where(Automation.trigger == "paid_thanks"))
    assert made is not None and made.enabled and made.options["night"] == "send"
    assert session.scalar(select(AuditLog.username).where(AuditLog.action == "automation.enable")) == "xiaoli"
    # The refused form is answered 422, which Chromium logs as a failed load; nothing else may fail.
    refused = "the server responded with a status of 422"
    assert [error for error in CONSOLE_ERRORS[page] if refused not in error] == []
