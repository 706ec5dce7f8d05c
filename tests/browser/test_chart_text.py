"""Users' words in charts are drawn as text by plotly.js, not as its HTML (issue #7).

plotly.js reads <b>, <i>, <a href>, <span style> in legends, tick labels and hovers. The demo
is seeded, then an account name, the tags of some posts and a KPI name are set to such markup.
On the pages that chart them, the drawn SVG must hold no link and no bold text of the user's,
and the legends and tick labels must show the markup as the characters typed. The data table
and the CSV under a chart give the names as typed too (not as entities).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from connectors.models import AccountMetric, Post, SocialAccount, Workspace
from reporting.models import KpiDefinition
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_dashboards import log_in_demo, wait_for_charts

pytestmark = pytest.mark.browser

ACCOUNT = '<b>Brand</b> <a href="https://evil.example">site</a>'
TAG = '<b>tag</b><span style="color:red">red</span>'
KPI = "Engagements <b>bold</b> & co"

# What plotly.js drew from the figures: links, bold or coloured pieces of text, and the texts of
# legends and tick labels.
DRAWN = """() => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    const within = (selector) => plots.flatMap((plot) => [...plot.querySelectorAll(selector)]);
    return {
        plots: plots.length,
        links: within('a').map((a) => a.getAttribute('href') || a.getAttribute('xlink:href')),
        styled: within('.legendtext tspan, .xtick text tspan, .ytick text tspan')
            .filter((t) => /bold|color|fill/.test(t.getAttribute('style') || ''))
            .map((t) => t.textContent),
        legends: within('.legendtext').map((t) => t.textContent),
        ticks: within('.xtick text, .ytick text').map((t) => t.textContent),
    };
}"""


def make_names_markup(workspace: Workspace) -> SocialAccount:
    account = SocialAccount.objects.for_workspace(workspace).order_by("pk").first()
    assert account is not None
    account.display_name = ACCOUNT
    account.save(update_fields=["display_name"])
    # A second account on the same platform, so the followers legend names the accounts.
    twin = SocialAccount.objects.create(
        workspace=workspace,
        platform=account.platform,
        external_id="twin",
        handle="twin",
        display_name="Twin",
    )
    AccountMetric.objects.bulk_create(
        AccountMetric(account=twin, day=fact.day, metric=fact.metric, value=fact.value / 2)
        for fact in AccountMetric.objects.filter(account=account, metric="followers")
    )
    posts = list(Post.objects.for_workspace(workspace).filter(account=account)[:30])
    for post in posts:
        post.tags = [TAG]
    Post.objects.bulk_update(posts, ["tags"])
    KpiDefinition.objects.for_workspace(workspace).filter(key="engagements").update(
        name_en=KPI, name_fr=KPI
    )
    return account


def snap(element: Locator, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    element.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def assert_drawn_as_text(page: Page, where: str) -> dict[str, list[str]]:
    wait_for_charts(page, at_least=1)
    drawn = page.evaluate(DRAWN)
    assert drawn["plots"], f"{where}: no chart drawn"
    assert not [href for href in drawn["links"] if href and "evil.example" in href], where
    assert not drawn["styled"], f"{where}: text drawn bold or coloured: {drawn['styled']}"
    return drawn


def test_chart_labels_show_users_markup_as_text(
    page: Page, live_server, transactional_db: None, console_errors: list[str]
) -> None:
    call_command("seed_demo", days=40, stdout=open(os.devnull, "w"))  # noqa: SIM115
    workspace = Workspace.objects.get(slug="demo")
    make_names_markup(workspace)

    def url(name: str, **kwargs: object) -> str:
        return live_server.url + reverse(name, kwargs={"workspace_slug": "demo", **kwargs})

    log_in_demo(page, live_server.url, "admin")

    page.goto(url("overview"))
    drawn = assert_drawn_as_text(page, "overview")
    assert any(ACCOUNT in text for text in drawn["legends"]), drawn["legends"]
    legend = page.locator(".legendtext", has_text="<b>Brand</b>").first
    snap(page.locator(".js-plotly-plot", has=legend).first, "chart-text-overview-legend")

    # The KPI's own name names its trend line, and heads its column in the data table.
    assert KPI in drawn["legends"], drawn["legends"]
    trend = page.locator('[data-chart-block]:has([data-figure="figure-engagement-trend"])')
    trend.get_by_role("button", name="Show data").click()
    expect(trend.locator("thead th", has_text=KPI)).to_have_count(1)

    page.goto(url("content:page"))
    drawn = assert_drawn_as_text(page, "content")
    assert TAG in drawn["ticks"], drawn["ticks"]
    tick = page.locator(".ytick text", has_text="<b>tag</b>").first
    block = page.locator("[data-chart-block]", has=tick).first
    snap(block, "chart-text-content-tags")

    # The table under the chart and its CSV give the tag as typed, not as entities.
    block.get_by_role("button", name="Show data").click()
    expect(block.locator("tbody th", has_text=TAG)).to_have_count(1)
    assert "&lt;" not in block.locator("table").inner_text()
    with page.expect_download() as info:
        block.get_by_role("button", name="Download CSV").click()
    content = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    assert f'"{TAG.replace(chr(34), chr(34) * 2)}"' in content, content
    assert "&lt;" not in content and "&amp;" not in content

    # Hovering the tag's bar draws its label (bold by our template): the tag still as text.
    plot = page.locator(".js-plotly-plot", has=tick).first
    area = plot.locator(".nsewdrag").first
    tick_box, area_box = tick.bounding_box(), area.bounding_box()
    assert tick_box is not None and area_box is not None
    middle = tick_box["y"] + tick_box["height"] / 2 - area_box["y"]
    area.hover(position={"x": 30, "y": middle})
    expect(plot.locator(".hoverlayer .hovertext")).to_contain_text(TAG)
    assert_drawn_as_text(page, "content hover")
    snap(block, "chart-text-content-hover")
    assert not console_errors
