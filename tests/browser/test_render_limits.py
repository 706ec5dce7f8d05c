"""A report stopped by the render time limit, as its run page shows it (issue #7)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dashboards.reports import services
from dashboards.reports.services import report_run_create
from dashboards.reports.tasks import run_render
from reporting.report_models import ReportFormat, ReportTemplate
from tests.browser.conftest import screenshot
from tests.browser.test_dashboards import log_in_demo

pytestmark = pytest.mark.browser


def test_a_run_stopped_by_the_time_limit_says_so_on_its_page(
    page: Page,
    live_server: Any,
    demo_workspace: None,
    console_errors: list[str],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow(**kwargs: Any) -> services.RenderedFile:
        until = time.monotonic() + 30
        while time.monotonic() < until:
            sum(range(1000))
        raise AssertionError("the render was not stopped")

    settings.REPORT_RENDER_TIMEOUT = 1
    monkeypatch.setattr(services, "report_file_render", slow)
    template = ReportTemplate.objects.get(workspace__slug="demo", key="monthly")
    run, _created = report_run_create(template=template, fmt=ReportFormat.XLSX)
    run_render(run.pk)

    log_in_demo(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/w/demo/reports/runs/{run.pk}/")
    error = page.locator(".run__error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("took longer than the limit of 1 s")
    expect(page.locator("[data-run-status]")).to_have_text("Failed")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "reports-run-time-limit-desktop")
    assert console_errors == []
