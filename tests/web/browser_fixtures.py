"""Fixtures for the tests that drive a real browser: Debian's chromium through Playwright, against
the app served on a free localhost port.

Playwright's own browser download is not used: the tests drive ``/usr/bin/chromium``
(``apt-get install chromium``). Without it they fail on CI (``CI`` set) and are skipped elsewhere,
so that a developer without chromium can still run the rest of the suite.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
TIMEOUT_MS = 15_000

CONSOLE_ERRORS: dict[Page, list[str]] = {}
"""Each page's browser console errors (CSP violations and failed loads among them)."""


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install it with `apt-get install chromium`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


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
def page(chromium: Path) -> Iterator[Page]:
    """A headless chromium page that records its console errors and accepts confirm dialogs."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True,
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        CONSOLE_ERRORS[page] = errors
        page.on("dialog", lambda dialog: dialog.accept())
        yield page
        CONSOLE_ERRORS.pop(page, None)
        context.close()
        browser.close()
