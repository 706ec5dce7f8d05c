"""The Reports pages in a real browser, on the demo workspace (issue #6).

A manager opens Reports, creates a report, adds a section and moves it, previews it (charts
drawn by plotly.js), makes the PDF and downloads it. Screenshots at desktop and phone widths
are saved as ``artifacts/screenshots/reports-*.png``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboards.reports.services import report_run_create
from dashboards.reports.tasks import run_render
from reporting.report_models import ReportFormat, ReportRun, ReportTemplate, RunStatus
from tests.browser.conftest import screenshot
from tests.browser.test_dashboards import DESKTOP, PHONE, log_in_demo, wait_for_charts

pytestmark = pytest.mark.browser


def shot(page: Page, name: str) -> None:
    # The top bar is sticky: a full-page capture taken scrolled down draws it mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def section_labels(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".section-item__label").all_inner_texts()]


def test_manager_builds_previews_and_downloads_a_report(
    page: Page, live_server, demo_workspace, console_errors: list[str]
) -> None:
    log_in_demo(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/w/demo/")
    page.locator(".workspace-nav").get_by_role("link", name="Reports", exact=True).click()
    page.wait_for_url(re.compile(r"/w/demo/reports/$"))
    expect(page.locator(".report-card")).to_have_count(3)
    shot(page, "reports-list-desktop")

    # A new report: the fixed dates show only for "Fixed dates".
    page.get_by_role("link", name="New report").first.click()
    page.get_by_label("Name", exact=True).fill("Board report")
    dates = page.locator("[data-fixed-dates]")
    expect(dates).to_be_hidden()
    page.get_by_label("Period", exact=True).select_option("fixed")
    expect(dates).to_be_visible()
    page.get_by_label("Period", exact=True).select_option("last_month")
    expect(dates).to_be_hidden()
    page.get_by_role("button", name="Create the report").click()
    page.wait_for_url(re.compile(r"/reports/\d+/edit/"))
    assert section_labels(page) == ["Cover", "Executive summary", "Data notes"]

    # Add a KPI chart: only its options show once the kind is chosen.
    add = page.locator("[data-section-form]")
    expect(add.locator("[data-section-options]")).to_be_hidden()
    add.get_by_text("KPI chart", exact=True).click()
    expect(add.get_by_label("KPI", exact=True)).to_be_visible()
    expect(add.get_by_label("Text", exact=True)).to_be_hidden()
    add.get_by_label("KPI", exact=True).select_option("reach")
    add.get_by_label("Broken down", exact=True).select_option("account")
    add.get_by_role("button", name="Add the section").click()
    page.wait_for_load_state()
    assert section_labels(page) == ["Cover", "Executive summary", "Data notes", "KPI chart"]
    expect(page.locator(".notice--success")).to_contain_text("is added")

    # Move it above the data notes.
    page.get_by_role("button", name="Move up section 4, KPI chart").click()
    page.wait_for_load_state()
    assert section_labels(page) == ["Cover", "Executive summary", "KPI chart", "Data notes"]
    template = ReportTemplate.objects.get(workspace__slug="demo", name="Board report")
    assert [s["type"] for s in template.sections] == ["cover", "summary", "kpi_chart", "data_notes"]
    shot(page, "reports-builder-desktop")

    # The preview draws the report's charts.
    page.locator(".page-actions").get_by_role("link", name="Preview").click()
    page.wait_for_url(re.compile(r"/preview/"))
    expect(page.locator(".report-preview")).to_contain_text("Board report")
    wait_for_charts(page, at_least=1)
    shot(page, "reports-preview-desktop")

    # Make the PDF: the run page shows the progress, then the download.
    page.locator(".preview-toolbar summary").click()
    page.get_by_role("button", name="PDF", exact=True).click()
    page.wait_for_url(re.compile(r"/reports/runs/\d+/$"), timeout=120_000)
    link = page.locator("[data-download-link]")
    expect(link).to_be_visible(timeout=120_000)
    run = ReportRun.objects.get(workspace__slug="demo", title="Board report")
    assert run.status == RunStatus.READY, run.error
    with page.expect_download() as info:
        link.click()
    content = Path(info.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    assert info.value.suggested_filename.endswith(".pdf")
    expect(page.locator(".run-hash")).to_have_text(run.file_sha256)
    shot(page, "reports-run-desktop")

    page.goto(f"{live_server.url}/w/demo/reports/runs/")
    expect(page.locator(".report-runs tbody tr")).to_have_count(1)
    shot(page, "reports-archive-desktop")

    # A run rendered by a worker while the page is open: the page polls and offers the file.
    waiting, _created = report_run_create(template=template, fmt=ReportFormat.CSV)
    page.goto(f"{live_server.url}/w/demo/reports/runs/{waiting.pk}/")
    expect(page.locator("[data-progress]")).to_be_visible()
    expect(page.locator("[data-download]")).to_be_hidden()
    run_render(waiting.pk)
    expect(page.locator("[data-download-link]")).to_be_visible(timeout=10_000)
    expect(page.locator("[data-progress]")).to_be_hidden()
    expect(page.locator("[data-run-status]")).to_have_text("Ready")

    page.set_viewport_size(PHONE)
    for name, path in (
        ("list", "/w/demo/reports/"),
        ("builder", f"/w/demo/reports/{template.pk}/edit/"),
        ("preview", f"/w/demo/reports/{template.pk}/preview/"),
        ("run", f"/w/demo/reports/runs/{run.pk}/"),
        ("archive", "/w/demo/reports/runs/"),
    ):
        page.goto(live_server.url + path)
        if name == "preview":
            wait_for_charts(page, at_least=1)
        shot(page, f"reports-{name}-phone")
    page.set_viewport_size(DESKTOP)
    assert console_errors == []
