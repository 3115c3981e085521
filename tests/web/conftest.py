"""Fixtures shared by the browser tests of tests/web."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.web.browser import CHROMIUM, LAUNCH_ARGS


@pytest.fixture(scope="module")
def chromium_browser():
    """Debian's Chromium driven by Playwright, one per test module (the modules skip first when
    Chromium is missing)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()
