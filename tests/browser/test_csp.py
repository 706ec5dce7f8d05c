"""Every main page under the Content Security Policy in a real browser (issue #7).

The demo admin opens the app's pages, a report preview, shared pages and the admin; the test
fails on any CSP violation, whether the browser reports it as a ``securitypolicyviolation``
event or only in the console, checks the charts are drawn, and uses the widgets that need
JavaScript (menus, the report builder's period, the share form's choices, a chart's data table
and PNG). Connecting a platform, whose form post is redirected to the platform's consent page
(``form-action``), is test_accounts.py's, under the same policy.
Screenshots: artifacts/screenshots/csp-*.png.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, expect

from connectors.models import SocialAccount, User
from dashboards.reports.sharing import share_link_create
from reporting.report_models import ReportTemplate, ShareKind
from tests.browser.conftest import screenshot
from tests.browser.test_dashboards import log_in_demo, wait_for_charts

pytestmark = pytest.mark.browser

# Installed before any page script: every violation of the page's policy, as text.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"}` +
      ` at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


class PolicyWatch:
    """The violations a page reported, from its events and from the console."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.context.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        events: list[str] = self.page.evaluate("window.__cspViolations || []")
        return events + self.console

    def open(self, url: str, name: str) -> None:
        self.console.clear()
        response = self.page.goto(url)
        assert response is not None and response.ok, f"{name}: HTTP {response and response.status}"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        wait_for_charts(self.page)
        self.page.wait_for_load_state("networkidle")
        assert self.violations() == [], f"{name}: {self.violations()}"


def test_main_pages_run_under_the_policy_without_a_violation(
    page: Page, live_server, demo_workspace, console_errors: list[str]
) -> None:
    watch = PolicyWatch(page)
    base = live_server.url
    account = SocialAccount.objects.filter(workspace__slug="demo").order_by("pk").first()
    template = ReportTemplate.objects.filter(workspace__slug="demo").order_by("pk").first()
    assert account is not None and template is not None
    workspace = template.workspace
    _live, live_token = share_link_create(
        workspace=workspace, kind=ShareKind.TEMPLATE, template=template
    )
    _view, view_token = share_link_create(
        workspace=workspace, kind=ShareKind.DASHBOARD, dashboard_query=""
    )

    def url(name: str, **kwargs: object) -> str:
        return base + reverse(name, kwargs={"workspace_slug": "demo", **kwargs})

    log_in_demo(page, base, "admin")
    pages = {
        "overview": url("overview"),
        "posts": url("posts:list"),
        "content": url("content:page"),
        "kpis": url("kpis:kpis"),
        "goals": url("kpis:goals"),
        "insights": url("insights:list"),
        "alerts": url("alerts:list"),
        "health": url("health:page"),
        "health-account": url("health:account", account_id=account.pk),
        "reports": url("reports:list"),
        "report-preview": url("reports:preview", template_id=template.pk),
        "report-builder": url("reports:edit", template_id=template.pk),
        "accounts": url("connectors:accounts"),
        "account": url("connectors:account_detail", account_id=account.pk),
        "import": url("connectors:import"),
        "export": url("connectors:export"),
        "settings": url("connectors:workspace_settings"),
        "share-links": url("share:manage"),
        "share-new": url("share:create"),
        "password-change": base + reverse("password_change"),
    }
    for name, address in pages.items():
        watch.open(address, name)
        if name in {"overview", "content", "report-preview", "health-account"}:
            assert page.locator(".js-plotly-plot .main-svg").count() > 0, f"{name}: no chart"
        if name == "overview":
            screenshot(page, "csp-overview")

    # Widgets that used to need inline JavaScript elsewhere, here from static files only.
    watch.open(pages["overview"], "overview")
    menu = page.locator("details[data-menu]").first
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    page.locator("main h1").first.click()
    expect(menu).not_to_have_attribute("open", "")
    block = page.locator(".chart-block").first
    block.get_by_role("button", name="Show data").click()
    expect(block.locator("table")).to_be_visible()
    # plotly.js draws the PNG through a blob: image (img-src allows blob:).
    with page.expect_download() as download:
        block.get_by_role("button", name="Download PNG").click()
    assert download.value.suggested_filename.endswith(".png")
    assert watch.violations() == []

    watch.open(pages["report-builder"], "report-builder")
    dates = page.locator("[data-fixed-dates]")
    page.get_by_label("Period", exact=True).select_option("fixed")
    expect(dates).to_be_visible()
    page.get_by_label("Period", exact=True).select_option("last_month")
    expect(dates).to_be_hidden()

    watch.open(pages["share-new"], "share-new")
    dashboard_field = page.locator('[data-when="kind"][data-value="dashboard"]')
    page.locator('input[name="kind"][value="template"]').check()
    expect(dashboard_field).to_be_hidden()
    page.locator('input[name="kind"][value="dashboard"]').check()
    expect(dashboard_field).to_be_visible()
    assert watch.violations() == []

    # Shared pages: no session needed, the same policy.
    page.context.clear_cookies()
    for name, token in (("share-live", live_token), ("share-view", view_token)):
        watch.open(base + reverse("share:open", args=[token]), name)
        assert page.locator(".js-plotly-plot .main-svg").count() > 0, f"{name}: no chart"
        screenshot(page, f"csp-{name}")

    assert console_errors == []

    # The admin has no inline script either: no relaxed policy for it.
    User.objects.create_superuser("csp-root", "root@example.com", "csp-root-password-2026")
    page.goto(f"{base}/admin/login/")
    page.locator("input[name=username]").fill("csp-root")
    page.locator("input[name=password]").fill("csp-root-password-2026")
    # /admin/login/ sends to the app's log-in (the two-factor step cannot be skipped there).
    page.locator('form[action$="/login/"] [type=submit]').click()
    page.wait_for_url(lambda address: "/login/" not in address)
    for name, address in (
        ("admin", f"{base}/admin/"),
        ("admin-accounts", f"{base}/admin/connectors/socialaccount/"),
        ("admin-group", f"{base}/admin/auth/group/add/"),
    ):
        watch.open(address, name)  # (the admin asks for /favicon.ico, a 404: not checked)
    # The group form's permission picker is drawn by the admin's SelectFilter2.js.
    expect(page.locator(".selector-available")).to_be_visible()

    # The watch does see a violation: an inline script added now is blocked and reported.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.appendChild(script);
        }"""
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in violation for violation in watch.violations())
