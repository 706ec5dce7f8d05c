"""Text that people and platforms type is shown as text, never run (issue #7).

Every kind of untrusted text the app displays (account names, post texts and tags, KPI and
goal names, chart notes, alert and report names) is set to markup that would run script or
inject an element if any page, chart label or hover text put it into the page as HTML. Each page
is then opened in a real browser: the markup must be visible as text, no injected element may
exist and no injected script may have run. The check reads the DOM, so it holds whatever the
Content Security Policy would have blocked anyway.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page

from connectors.models import Post, SocialAccount, Workspace
from dashboards.reports.sharing import share_link_create
from reporting.alert_models import AlertRule
from reporting.annotation_models import Annotation
from reporting.models import Goal, KpiDefinition
from reporting.report_models import ReportTemplate, ShareKind
from tests.browser.conftest import screenshot
from tests.browser.test_dashboards import log_in_demo, wait_for_charts

pytestmark = pytest.mark.browser

# Closes an attribute and a tag, then injects an element (marked data-xss) and two scripts.
PAYLOAD = '"\'><img src=x data-xss onerror="window.__xss=1"><script>window.__xss=2</script>'
SHORT = "<b data-xss>x</b><svg/onload=window.__xss=3>"  # for fields of 120 characters or less

INJECTED = """() => ({
    elements: document.querySelectorAll('[data-xss]').length,
    ran: typeof window.__xss !== 'undefined',
    text: document.body.innerText,
})"""


def make_everything_hostile(workspace: Workspace) -> dict[str, str]:
    account = SocialAccount.objects.for_workspace(workspace).order_by("pk").first()
    assert account is not None
    account.display_name = f"Brand {SHORT}"
    account.save(update_fields=["display_name"])
    posts = list(Post.objects.for_workspace(workspace).filter(account=account)[:20])
    for post in posts:
        post.text = f"Launch {PAYLOAD}"
        post.tags = [f"tag{SHORT}", "campaign"]
    Post.objects.bulk_update(posts, ["text", "tags"])
    KpiDefinition.objects.for_workspace(workspace).filter(key="engagements").update(
        name_en=f"Engagement {SHORT}", name_fr=f"Engagement {SHORT}"
    )
    Goal.objects.for_workspace(workspace).update(name=f"Goal {SHORT}")
    AlertRule.objects.for_workspace(workspace).update(name=f"Alert {SHORT}")
    ReportTemplate.objects.for_workspace(workspace).update(name=f"Report {SHORT}")
    yesterday = dt.date.today() - dt.timedelta(days=3)
    Annotation.objects.create(workspace=workspace, day=yesterday, text=f"Note {SHORT}"[:140])
    template = ReportTemplate.objects.for_workspace(workspace).order_by("pk").first()
    assert template is not None
    _, token = share_link_create(workspace=workspace, kind=ShareKind.TEMPLATE, template=template)
    return {"account_id": str(account.pk), "post_id": str(posts[0].pk), "token": token}


def test_untrusted_text_is_shown_never_run(
    page: Page, live_server, transactional_db: None, console_errors: list[str]
) -> None:
    call_command("seed_demo", days=40, stdout=open(os.devnull, "w"))  # noqa: SIM115
    workspace = Workspace.objects.get(slug="demo")
    ids = make_everything_hostile(workspace)
    kpi = KpiDefinition.objects.for_workspace(workspace).get(key="engagements")
    template = ReportTemplate.objects.for_workspace(workspace).order_by("pk").first()
    assert template is not None

    def url(name: str, **kwargs: object) -> str:
        return live_server.url + reverse(name, kwargs={"workspace_slug": "demo", **kwargs})

    pages = {
        "overview": url("overview"),
        "posts": url("posts:list"),
        "post": url("posts:detail", post_id=ids["post_id"]),
        "content": url("content:page"),
        "account": url("account_dashboard", account_id=ids["account_id"]),
        "accounts": url("connectors:accounts"),
        "kpis": url("kpis:kpis"),
        "kpi": url("kpis:kpi_detail", key=kpi.key),
        "goals": url("kpis:goals"),
        "alerts": url("alerts:list"),
        "tags": url("tags:list"),
        "health": url("health:page"),
        "reports": url("reports:list"),
        "report-preview": url("reports:preview", template_id=template.pk),
        "shared-report": live_server.url + reverse("share:open", args=[ids["token"]]),
    }
    log_in_demo(page, live_server.url, "admin")
    shown_as_text = 0
    for name, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.ok, f"{name}: HTTP {response and response.status}"
        wait_for_charts(page)
        # Hover every bar and point a little, so that hover labels are drawn too.
        for chart in page.locator(".chart[data-figure] .nsewdrag").all()[:3]:
            chart.hover()
        found = page.evaluate(INJECTED)
        if found["elements"] or found["ran"]:
            screenshot(page, f"hostile-{name}")
        assert found["elements"] == 0, f"{name}: markup from data became elements"
        assert not found["ran"], f"{name}: a script from data ran"
        shown_as_text += "data-xss" in found["text"]
    # The text is there, as text, on most pages (not every page shows every field).
    assert shown_as_text >= 8, shown_as_text
    assert not [error for error in console_errors if "__xss" in error]
