"""An admin changes a KPI and finds it in the audit log; the Members page adds an invitee."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from connectors.models import AuditEvent
from tests.browser.conftest import screenshot
from tests.browser.test_demo_login import log_in

pytestmark = pytest.mark.browser


def test_admin_changes_a_kpi_and_sees_it_in_the_audit_log_then_adds_a_member(
    page: Page, live_server, demo_workspace, console_errors: list[str], settings
) -> None:
    settings.SITE_URL = live_server.url
    log_in(page, live_server.url, "demo-admin", "demo-admin-2026")

    page.goto(f"{live_server.url}/w/demo/kpis/reach/edit/")
    page.locator("[name=name_en]").fill("Reach (audited)")
    page.locator("form [type=submit]:not([name=check])").last.click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("The KPI was saved.")).to_be_visible()

    page.goto(f"{live_server.url}/w/demo/settings/")
    page.get_by_role("link", name="Audit log").click()
    page.wait_for_load_state("networkidle")
    row = page.locator('tr[data-action="kpi.updated"]').first
    expect(row).to_contain_text("KPI changed")
    expect(row).to_contain_text("demo-admin")
    expect(row).to_contain_text("name_en: Reach → Reach (audited)")
    # The admin's own log-in is there too; filtering by kind of action keeps the KPI change.
    expect(page.locator('tr[data-action="auth.login"]').first).to_be_visible()
    screenshot(page, "audit-log-1440")
    page.get_by_label("What").select_option("kpi")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator('tr[data-action="auth.login"]')).to_have_count(0)
    expect(page.locator('tr[data-action="kpi.updated"]')).to_have_count(1)

    page.get_by_role("link", name="Members").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator('tr[data-member="demo-viewer"]')).to_be_visible()
    page.get_by_label("E-mail address").fill("new.client@example.org")
    page.get_by_label("Role", exact=True).select_option("analyst")
    page.get_by_role("button", name="Add the member").click()
    page.wait_for_load_state("networkidle")
    invited = page.locator('tr[data-member="new.client@example.org"]')
    expect(invited).to_contain_text("Invited")
    expect(invited.locator("select[name=role]")).to_have_value("analyst")
    screenshot(page, "members-1440")

    assert len(mail.outbox) == 1 and "/password/reset/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="member.added").count() == 1
    assert console_errors == []
