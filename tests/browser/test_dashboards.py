"""The dashboard pages in a real browser, on the demo workspace (issue #5).

Every role opens every page at desktop and phone widths (screenshots in artifacts/screenshots,
named ``<page>-<role>-desktop|phone``); then the global filters, the drill-down from the
overview to a post, chart notes, a chart's CSV, the keyboard, and an empty workspace.

Seeding the demo takes most of a test's time, so each test covers a whole journey rather than
one assertion.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, ViewportSize, expect

from connectors.models import PostMetric, Role, SocialAccount
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.browser

DESKTOP = ViewportSize(width=1440, height=900)
PHONE = ViewportSize(width=390, height=844)
ROLES = ("admin", "manager", "analyst", "viewer")

# Every chart container the page holds has been drawn by plotly.js (it adds .main-svg).
ALL_CHARTS_DRAWN = """() => [...document.querySelectorAll('.chart[data-figure]')]
    .every((chart) => chart.querySelector('.main-svg') !== null)"""
UNDRAWN_CHARTS = """() => [...document.querySelectorAll('.chart[data-figure]')]
    .filter((chart) => chart.querySelector('.main-svg') === null)
    .map((chart) => chart.id || chart.dataset.figure)"""
NOTE_TEXTS = """(id) => (document.getElementById(id).data || [])
    .filter((trace) => trace.meta && trace.meta.rapport === 'annotations')
    .flatMap((trace) => trace.customdata || [])"""


@dataclass(frozen=True)
class DashboardPage:
    name: str  # screenshot stem
    url: str
    has_charts: bool  # the demo data gives this page at least one figure


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator('form[action$="/login/"] [type=submit]').click()
    page.wait_for_url(lambda url: "/login/" not in url)


def log_in_demo(page: Page, base_url: str, role: str) -> None:
    log_in(page, base_url, f"demo-{role}", f"demo-{role}-2026")


def wait_for_charts(page: Page, *, at_least: int = 0) -> None:
    """Wait until plotly.js has drawn every chart of the page; fail naming those it has not."""
    try:
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=15_000)
    except PlaywrightError:
        pytest.fail(f"{page.url}: charts not drawn: {page.evaluate(UNDRAWN_CHARTS)}")
    drawn = page.locator(".chart[data-figure]:has(.main-svg)").count()
    assert drawn >= at_least, f"{page.url}: {drawn} charts drawn, expected at least {at_least}"


def open_page(page: Page, url: str, *, has_charts: bool = False) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    heading = page.locator("h1").first
    expect(heading).to_be_visible()
    assert heading.inner_text().strip(), f"{url}: empty page title"
    wait_for_charts(page, at_least=1 if has_charts else 0)


def demo_pages(base_url: str) -> list[DashboardPage]:
    account = SocialAccount.objects.filter(workspace__slug="demo").order_by("pk").first()
    assert account is not None, "the demo has no accounts"
    # A post with three weeks of daily counts, so its history chart has a shape to look at.
    post_id = (
        PostMetric.objects.filter(
            post__account__workspace__slug="demo",
            post__published_at__lte=timezone.now() - dt.timedelta(days=21),
        )
        .order_by("-post__published_at")
        .values_list("post_id", flat=True)
        .first()
    )
    assert post_id is not None, "the demo has no post with metrics"

    def url(name: str, **kwargs: object) -> str:
        return base_url + reverse(name, kwargs={"workspace_slug": "demo", **kwargs})

    return [
        DashboardPage("overview", url("overview"), has_charts=True),
        DashboardPage("posts", url("posts:list"), has_charts=False),
        DashboardPage("post", url("posts:detail", post_id=post_id), has_charts=True),
        DashboardPage("content", url("content:page"), has_charts=True),
        DashboardPage("insights", url("insights:list"), has_charts=False),
        DashboardPage("goals", url("kpis:goals"), has_charts=False),
        DashboardPage(
            "platform", url("platform_dashboard", platform=account.platform), has_charts=True
        ),
        DashboardPage("account", url("account_dashboard", account_id=account.pk), has_charts=True),
        DashboardPage("health", url("health:page"), has_charts=False),
        DashboardPage(
            "health-account", url("health:account", account_id=account.pk), has_charts=True
        ),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_every_page_at_desktop_and_phone_width(
    page: Page, live_server, demo_workspace, console_errors: list[str], role: str
) -> None:
    log_in_demo(page, live_server.url, role)
    assert page.locator("html").get_attribute("lang") == ("fr" if role == "viewer" else "en")
    pages = demo_pages(live_server.url)
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        for dashboard in pages:
            seen = len(console_errors)
            open_page(page, dashboard.url, has_charts=dashboard.has_charts)
            screenshot(page, f"{dashboard.name}-{role}-{width}")
            assert console_errors[seen:] == [], f"{dashboard.name} ({width})"
            if dashboard.name == "overview":
                # Only analysts and up may write notes on the charts.
                notes_form = page.locator("form.note-form")
                expect(notes_form).to_have_count(0 if role == "viewer" else 1)


def test_filters_drill_down_and_chart_csv(
    page: Page, live_server, demo_workspace, console_errors: list[str]
) -> None:
    log_in_demo(page, live_server.url, "manager")
    overview = live_server.url + reverse("overview", kwargs={"workspace_slug": "demo"})
    open_page(page, overview, has_charts=True)
    period = page.locator(".filter-bar__period .period")
    before = period.inner_text()

    # Dates: a preset is a link, so the filtered view is in the address.
    page.locator("summary[data-filter=range]").click()
    page.get_by_role("link", name="Last 28 days").click()
    page.wait_for_url(re.compile(r"[?&]range=28d"))
    wait_for_charts(page, at_least=1)
    assert period.inner_text() != before
    expect(page.locator(".filter-bar__period .period__days")).to_have_text("(28 days)")

    page.locator("summary[data-filter=compare]").click()
    page.get_by_role("link", name="Same period last year").click()
    page.wait_for_url(re.compile(r"[?&]compare=year"))
    assert "range=28d" in page.url
    expect(page.locator(".period__compare")).to_be_visible()

    # Show: tick a platform and apply; it becomes a removable chip.
    page.locator("summary[data-filter=scope]").click()
    scope = page.locator(".filter-bar__scope")
    platform = scope.locator("input[name=platform]").first
    platform_key = platform.get_attribute("value")
    platform.check()
    scope.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(rf"[?&]platform={platform_key}"))
    assert "range=28d" in page.url and "compare=year" in page.url
    chips = page.locator(".filter-bar__chips .chip")
    expect(chips).to_have_count(1)
    wait_for_charts(page, at_least=1)
    screenshot(page, "overview-filtered-desktop")

    # The top navigation carries the filters to the next page.
    page.locator(".workspace-nav").get_by_role("link", name="Posts", exact=True).click()
    page.wait_for_url(re.compile(r"/w/demo/posts/\?"))
    for kept in ("range=28d", "compare=year", f"platform={platform_key}"):
        assert kept in page.url, f"{kept} lost on the way to Posts: {page.url}"
    expect(chips).to_have_count(1)
    chips.first.locator(".chip__remove").click()
    page.wait_for_url(lambda url: "platform=" not in url)
    assert "range=28d" in page.url
    expect(page.locator(".filter-bar__chips")).to_have_count(0)

    # Drill-down: the best post of the period opens on its own page with its history.
    open_page(page, overview, has_charts=True)
    best = page.locator(".table--posts .post-cell__link").first
    best.click()
    page.wait_for_url(re.compile(r"/w/demo/posts/\d+/"))
    expect(page.locator("#chart-post-history .main-svg").first).to_be_visible(timeout=15_000)

    # A chart's data as CSV: Excel-ready (BOM), a header, dated rows with numbers.
    open_page(page, overview, has_charts=True)
    block = page.locator("[data-chart-block]:has(#chart-reach)")
    with page.expect_download() as info:
        block.get_by_role("button", name="Download CSV").click()
    content = Path(info.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(content.decode("utf-8-sig").splitlines()))
    assert header[0] in {"Date", "Period start"} and len(header) >= 2, header
    dated = [row for row in rows if re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[0])]
    assert any(re.fullmatch(r"-?\d+(\.\d+)?", cell) for row in dated for cell in row[1:]), rows[:3]
    assert console_errors == []


def test_keyboard_reaches_the_dates_filter(
    page: Page, live_server, demo_workspace, console_errors: list[str]
) -> None:
    log_in_demo(page, live_server.url, "viewer")
    open_page(page, live_server.url + "/w/demo/", has_charts=True)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.filter === 'range'"):
            break
    expect(page.locator(":focus")).to_have_attribute("data-filter", "range")
    page.keyboard.press("Enter")
    menu = page.locator("details:has(> summary[data-filter=range])")
    expect(menu).to_have_attribute("open", "")
    expect(menu.locator(".menu__item").first).to_be_visible()
    assert console_errors == []


def test_analyst_adds_a_note_drawn_on_the_charts(
    page: Page, live_server, demo_workspace, console_errors: list[str]
) -> None:
    log_in_demo(page, live_server.url, "analyst")
    overview = live_server.url + reverse("overview", kwargs={"workspace_slug": "demo"})
    open_page(page, overview, has_charts=True)
    day_input = page.locator("#note-day")
    period_end = dt.date.fromisoformat(day_input.input_value())
    day_input.fill((period_end - dt.timedelta(days=10)).isoformat())
    page.locator("#note-text").fill("Campaign launch")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_load_state("networkidle")
    note = page.locator(".note-list__item", has_text="Campaign launch")
    expect(note).to_have_count(1)
    wait_for_charts(page, at_least=1)
    for chart in ("chart-reach", "chart-followers"):
        assert "Campaign launch" in page.evaluate(NOTE_TEXTS, chart), chart
    screenshot(page, "overview-note-analyst-desktop")

    # A viewer reads the note but can neither add nor delete one.
    page.context.clear_cookies()
    log_in_demo(page, live_server.url, "viewer")
    open_page(page, overview, has_charts=True)
    expect(note).to_have_count(1)
    expect(note.locator("button")).to_have_count(0)
    expect(page.locator("form.note-form")).to_have_count(0)

    page.context.clear_cookies()
    log_in_demo(page, live_server.url, "analyst")
    open_page(page, overview, has_charts=True)
    note.get_by_role("button", name="Delete").click()
    page.wait_for_load_state("networkidle")
    expect(note).to_have_count(0)
    wait_for_charts(page, at_least=1)
    assert "Campaign launch" not in page.evaluate(NOTE_TEXTS, "chart-reach")
    assert console_errors == []


def test_empty_workspace_shows_empty_states(
    page: Page, live_server, transactional_db: None, console_errors: list[str]
) -> None:
    user = UserFactory(username="new-manager")
    workspace = WorkspaceFactory(name="New brand", slug="new-brand")
    MembershipFactory(user=user, workspace=workspace, role=Role.MANAGER)
    log_in(page, live_server.url, "new-manager", PASSWORD)
    for name, url_name in (
        ("overview", "overview"),
        ("posts", "posts:list"),
        ("content", "content:page"),
    ):
        url = live_server.url + reverse(url_name, kwargs={"workspace_slug": workspace.slug})
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            open_page(page, url)
            expect(page.locator(".empty-state__title")).to_have_text(
                "No social accounts in this workspace yet"
            )
            expect(page.locator(".chart[data-figure]")).to_have_count(0)
            screenshot(page, f"{name}-empty-{width}")
    assert console_errors == []
