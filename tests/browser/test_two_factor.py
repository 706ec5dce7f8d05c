"""Two-factor in a real browser: enrol from the Security page, log out, log in in two steps."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from connectors.models import Role
from connectors.twofactor import totp
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.browser


def test_enrol_then_log_in_with_the_code(
    page: Page, live_server, transactional_db, console_errors: list[str]
) -> None:
    workspace = WorkspaceFactory(slug="tfa", name="Two-factor Co")
    user = UserFactory(username="ana")
    MembershipFactory(user=user, workspace=workspace, role=Role.ADMIN)
    base = live_server.url

    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill("ana")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator('form[action$="/login/"] [type=submit]').click()
    page.wait_for_load_state("networkidle")

    page.locator(".user-trigger").click()
    page.get_by_role("link", name="Security (two-factor)").click()
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.locator("svg.qr-code")).to_be_visible()
    screenshot(page, "two-factor-enrol-desktop")

    secret = page.locator("#two-factor-key").inner_text().replace(" ", "")
    key = totp.secret_bytes(secret)
    # The previous step's code (one step of drift is accepted), so that the current one is still
    # unused for the log-in below whatever the clock does in between.
    page.get_by_label("6-digit code from the app").fill(totp.totp(key, time.time() - 30))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.locator(".tfa-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){2}", c) for c in codes)
    screenshot(page, "two-factor-recovery-codes-desktop")
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("10 recovery codes left.")).to_be_visible()
    assert secret not in page.content()
    screenshot(page, "two-factor-on-desktop")

    page.locator(".user-trigger").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("networkidle")

    page.goto(f"{base}/login/?next=/w/tfa/posts/")
    page.locator("input[name=username]").fill("ana")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator('form[action$="/login/"] [type=submit]').click()
    expect(page.get_by_role("heading", name="Enter your authentication code")).to_be_visible()
    assert page.url.endswith("/login/code/")
    screenshot(page, "two-factor-second-step-desktop")
    page.get_by_label("Authentication code").fill(totp.totp(key, time.time()))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/w/tfa/posts/"), page.url
    assert console_errors == []
