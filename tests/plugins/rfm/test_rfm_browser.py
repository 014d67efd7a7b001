"""The RFM page in a real browser (Debian's chromium driven by Playwright) on demo data: the heat
map and the class table show, and a class row opens the list of its customers.

Like tests/web/test_browser.py: ``/usr/bin/chromium`` is required on CI (``CI`` set) and the
test is skipped elsewhere without it.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from shopcrm.config import Config
from shopcrm.demo_data import generate
from shopcrm.labels import run_all
from shopcrm.models import User
from shopcrm.shops import default_shop
from tests.web.web_support import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
TIMEOUT_MS = 15_000


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app served by werkzeug on a free localhost port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page() -> Iterator[tuple[Page, list[str]]]:
    """A headless chromium page, with the browser console's errors."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install it with `apt-get install chromium`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
        context.close()
        browser.close()


@pytest.fixture
def demo_shop(config: Config, engine: Engine, session: Session) -> int:
    """The default shop with demo customers and orders, labelled by the RFM segmenter."""
    shop = default_shop(session)
    session.commit()
    generate(engine, shop.id, customers=300, orders=700)
    run_all(config, shop.id, ["rfm"])
    return shop.id


def test_the_rfm_page_shows_the_heat_map_and_a_class_opens_its_customers(
    page: tuple[Page, list[str]], live_url: str, demo_shop: int, make_user: Callable[..., User],
    tmp_path: Path,
) -> None:
    browser, errors = page
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
