from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

DEMO_LOGINS = [
    ("demo-admin", "demo-admin-2026"),
    ("demo-manager", "demo-manager-2026"),
    ("demo-analyst", "demo-analyst-2026"),
    ("demo-viewer", "demo-viewer-2026"),
]


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator('form[action$="/login/"] [type=submit]').click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize(("username", "password"), DEMO_LOGINS)
def test_each_demo_user_sees_overview_with_charts(
    page: Page, live_server, demo_workspace, console_errors: list[str], username, password
) -> None:
    log_in(page, live_server.url, username, password)
    assert page.url.rstrip("/").endswith("/w/demo"), page.url
    # plotly.js adds .main-svg inside each drawn chart: the figures were really rendered.
    charts = page.locator(".js-plotly-plot")
    expect(charts.first).to_be_visible(timeout=15_000)
    assert charts.count() >= 2
    assert page.locator(".js-plotly-plot .main-svg").count() >= 2
    screenshot(page, f"overview-{username}-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(charts.first).to_be_visible()
    screenshot(page, f"overview-{username}-phone")
    assert console_errors == []


def test_viewer_sees_french_ui(page: Page, live_server, demo_workspace) -> None:
    log_in(page, live_server.url, "demo-viewer", "demo-viewer-2026")
    assert page.locator("html").get_attribute("lang") == "fr"


def test_wrong_password_is_refused(page: Page, live_server, demo_workspace) -> None:
    log_in(page, live_server.url, "demo-admin", "not-the-password")
    assert "/login/" in page.url
