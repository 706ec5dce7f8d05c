"""The toolbar under every chart: its data as a table, as CSV and as PNG (static/js/charts.js).

A test-only page renders ``includes/chart.html`` with real figures from ``dashboards/charts.py``
and ``dashboards/charts_insights.py``: daily followers with a note, weekly bars, a trend line
and the best-times heatmap.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from config.urls import urlpatterns as site_urlpatterns
from dashboards import charts, charts_insights
from reporting.selectors import Grain
from tests.browser.conftest import SCREENSHOTS, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.urls(__name__)]

PAGE = """{% extends "base.html" %}{% load static %}
{% block title %}Charts{% endblock %}
{% block head %}
  <link rel="stylesheet" href="{% static 'css/charts.css' %}">
  <script src="{% static 'vendor/plotly.min.js' %}" defer></script>
  <script src="{% static 'js/plotly-locale-fr.js' %}" defer></script>
  <script src="{% static 'js/charts.js' %}" defer></script>
{% endblock %}
{% block content %}
  <h1 class="page-title">Charts</h1>
  <div class="chart-grid">
    {% for c in charts %}
      <section class="card" data-card="{{ c.id }}" aria-labelledby="title-{{ c.id }}">
        <div class="card__header">
          <h2 id="title-{{ c.id }}" class="card__title">{{ c.label }}</h2>
        </div>
    {% include "includes/chart.html" with chart_id=c.id figure=c.figure label=c.label name=c.id %}
      </section>
    {% endfor %}
  </div>
  <section class="card" data-card="bare">
    <div class="chart" data-figure="figure-bare" role="img" aria-label="Without the include"></div>
    {{ bare|json_script:"figure-bare" }}
  </section>
{% endblock %}
"""

START = dt.date(2026, 3, 1)


def followers_figure() -> dict[str, object]:
    rows = []
    instagram = [1840, 1852, None, 1870, 1881]
    linkedin = [312, 315, 319, 320, 324]
    for offset in range(5):
        day = pd.Timestamp(START + dt.timedelta(days=offset))
        for account_id, account, platform, values in (
            (1, "Maison Lumière", "instagram", instagram),
            (2, "Studio Nord", "linkedin", linkedin),
        ):
            if values[offset] is not None:
                rows.append(
                    {
                        "day": day,
                        "account_id": account_id,
                        "account": account,
                        "platform": platform,
                        "metric": "followers",
                        "value": float(values[offset]),  # type: ignore[arg-type]
                    }
                )
    figure = charts.followers_chart(pd.DataFrame(rows))
    charts.annotations_add(figure, [(START + dt.timedelta(days=2), "Spring launch")])
    return charts.figure_json(figure)


def bars_figure() -> dict[str, object]:
    weeks = [
        (dt.date(2026, 2, 23), dt.date(2026, 3, 1)),
        (dt.date(2026, 3, 2), dt.date(2026, 3, 8)),
    ]
    rows = [
        {
            "period_start": pd.Timestamp(first),
            "period_end": pd.Timestamp(last),
            "platform": platform,
            "value": value,
        }
        for (first, last), values in zip(weeks, [(4200.0, 1300.0), (5100.0, 1250.5)], strict=True)
        for platform, value in zip(("instagram", "facebook"), values, strict=True)
    ]
    return charts.figure_json(charts.platform_bars_chart(pd.DataFrame(rows), grain=Grain.WEEK))


def trend_figure() -> dict[str, object]:
    daily = pd.DataFrame(
        {
            "day": [pd.Timestamp(START + dt.timedelta(days=d)) for d in range(3)],
            "value": [100.0, 120.0, 95.0],
        }
    )
    # A trace named like a spreadsheet formula (names come from users: accounts, KPIs).
    figure = charts_insights.trend_chart(
        daily,
        start=START,
        end=START + dt.timedelta(days=2),
        first_fitted=-12.5,
        last_fitted=130.0,
        name="=cmd",
    )
    return charts.figure_json(figure)


def heatmap_figure() -> dict[str, object]:
    cells = pd.DataFrame(
        {
            "weekday": [0, 0, 2],
            "slot": ["morning", "evening", "morning"],
            "n": [12, 2, 9],
            "median": [1534.0, 80.0, 910.0],
            "enough_data": [True, False, True],
        }
    )
    return charts.figure_json(charts_insights.best_times_heatmap(cells, weekday=0, slot="morning"))


def chart_page(request: HttpRequest) -> HttpResponse:
    with translation.override(request.GET.get("lang", "en")):
        context = {
            "charts": [
                {"id": "followers", "label": "Followers by account", "figure": followers_figure()},
                {"id": "reach", "label": "Reach per week", "figure": bars_figure()},
                {"id": "trend", "label": "Engagements trend", "figure": trend_figure()},
                {"id": "best-times", "label": "Best times to post", "figure": heatmap_figure()},
            ],
            # Drawn as the pages not yet on includes/chart.html draw theirs: no toolbar.
            "bare": bars_figure(),
        }
        html = engines["django"].from_string(PAGE).render(context, request)
    return HttpResponse(html)


urlpatterns = [path("test/charts/", chart_page), *site_urlpatterns]


def open_page(page: Page, base_url: str, query: str = "") -> None:
    page.goto(f"{base_url}/test/charts/{query}")
    expect(page.locator(".chart-toolbar")).to_have_count(4, timeout=15_000)


def card(page: Page, chart_id: str) -> Locator:
    return page.locator(f'[data-card="{chart_id}"]')


def column(table: Locator, index: int) -> list[str]:
    return [text.strip() for text in table.locator(f"tr > :nth-child({index})").all_inner_texts()]


def test_show_data_lists_each_series_by_date(
    page: Page, live_server, transactional_db: None, console_errors: list[str]
) -> None:
    open_page(page, live_server.url)
    followers = card(page, "followers")
    toggle = followers.locator("button[aria-controls]")
    expect(toggle).to_have_text("Show data")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    panel = page.locator(f"#{toggle.get_attribute('aria-controls')}")
    expect(panel).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_have_text("Hide data")
    table = panel.locator("table")
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_have_text("Data behind the chart Followers by account")
    # The note marker on the chart is not a series: no "Notes" column.
    assert column(table, 1) == [
        "Date",
        "Mar 1, 2026",
        "Mar 2, 2026",
        "Mar 3, 2026",
        "Mar 4, 2026",
        "Mar 5, 2026",
    ]
    assert table.locator("thead th").all_inner_texts() == ["Date", "Instagram", "LinkedIn"]
    assert column(table, 2) == ["Instagram", "1,840", "1,852", "—", "1,870", "1,881"]
    assert column(table, 3)[1:] == ["312", "315", "319", "320", "324"]

    # Weekly bars: one row per week, named by its first day.
    card(page, "reach").get_by_role("button", name="Show data").click()
    bars = card(page, "reach").locator("table")
    assert bars.locator("thead th").all_inner_texts() == ["Period start", "Facebook", "Instagram"]
    assert column(bars, 1)[1:] == ["Feb 23, 2026", "Mar 2, 2026"]
    assert column(bars, 2)[1:] == ["1,300", "1,251"]
    assert column(bars, 3)[1:] == ["4,200", "5,100"]

    # Heatmap: rows are dayparts, columns weekdays; greyed-out cells (too few posts) and the
    # outline of the recommended cell carry no value.
    card(page, "best-times").get_by_role("button", name="Show data").click()
    grid = card(page, "best-times").locator("table")
    expect(grid).to_have_count(1)
    assert grid.locator("thead > tr > *").all_inner_texts() == [
        "",
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]
    assert column(grid, 1)[1:] == [
        "morning (5:00-11:00)",
        "midday (11:00-14:00)",
        "afternoon (14:00-18:00)",
        "evening (18:00-22:00)",
        "night (22:00-5:00)",
    ]
    morning = grid.locator("tbody tr").nth(0).locator("td")
    assert morning.nth(0).inner_text() == "1,534"
    assert morning.nth(2).inner_text() == "910"
    assert grid.locator("tbody tr").nth(3).locator("td").nth(0).inner_text() == "—"

    expect(card(page, "bare").locator(".main-svg").first).to_be_visible()
    expect(card(page, "bare").locator(".chart-toolbar")).to_have_count(0)

    toggle.click()
    expect(panel).to_be_hidden()
    expect(toggle).to_have_text("Show data")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert console_errors == []


def test_csv_is_excel_ready_and_neutralises_formulas(
    page: Page, live_server, transactional_db: None, console_errors: list[str]
) -> None:
    open_page(page, live_server.url)
    with page.expect_download() as info:
        card(page, "trend").get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == f"trend-{dt.date.today().isoformat()}.csv"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig").splitlines() == [
        '"Date","\'=cmd","Trend line"',
        '"2026-03-01","100","-12.5"',
        '"2026-03-02","120",""',
        '"2026-03-03","95","130"',
    ]

    with page.expect_download() as info:
        card(page, "followers").get_by_role("button", name="Download CSV").click()
    lines = Path(info.value.path()).read_text("utf-8-sig").splitlines()
    assert lines[0] == '"Date","Instagram","LinkedIn"'
    assert lines[3] == '"2026-03-03","","319"'
    assert console_errors == []


def test_png_download_is_a_png_image(
    page: Page, live_server, transactional_db: None, console_errors: list[str]
) -> None:
    open_page(page, live_server.url)
    with page.expect_download() as info:
        card(page, "reach").get_by_role("button", name="Download PNG").click()
    download = info.value
    assert download.suggested_filename == f"reach-{dt.date.today().isoformat()}.png"
    assert Path(download.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    download.save_as(SCREENSHOTS / "chart-toolbar-download.png")
    assert console_errors == []


def test_toolbar_works_from_the_keyboard(
    page: Page, live_server, transactional_db: None, console_errors: list[str]
) -> None:
    open_page(page, live_server.url)
    page.locator("h1").click()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Show data":
            break
    focused = page.locator(":focus")
    expect(focused).to_have_text("Show data")
    expect(focused).to_have_attribute("aria-controls", "chart-followers-data")
    page.keyboard.press("Enter")
    expect(page.locator("#chart-followers-data table")).to_be_visible()
    expect(focused).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Download CSV")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Download PNG")
    # Then the table's scrolling box, so that a long table scrolls from the keyboard too.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_class("table-wrap chart-data__wrap")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.locator(":focus")).to_have_text("Hide data")
    page.keyboard.press("Enter")
    expect(page.locator("#chart-followers-data")).to_be_hidden()
    assert console_errors == []


def test_french_page_formats_numbers_and_dates_in_french(
    page: Page, live_server, transactional_db: None, console_errors: list[str]
) -> None:
    open_page(page, live_server.url, "?lang=fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    block = card(page, "followers")
    block.locator(".chart-toolbar__button").first.click()
    table = block.locator("table")
    row = table.locator("tbody tr").first
    assert row.locator("th").inner_text() == "1 mars 2026"
    # Intl writes French thousands with a narrow no-break space.
    assert row.locator("td").first.inner_text() == "1\u202f840"
    assert console_errors == []


def test_screenshot_of_charts_with_their_data(
    page: Page, live_server, transactional_db: None, console_errors: list[str]
) -> None:
    open_page(page, live_server.url)
    for chart_id in ("followers", "best-times"):
        card(page, chart_id).get_by_role("button", name="Show data").click()
    # The top bar is sticky: scrolled down, it would sit in the middle of a full-page shot.
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "chart-toolbar")
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    screenshot(page, "chart-toolbar-phone")
    assert console_errors == []
