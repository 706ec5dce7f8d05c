from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from connectors.models import (
    AccountMetric,
    AccountStatus,
    FileImport,
    SocialAccount,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    Workspace,
)
from tests.browser.conftest import screenshot
from tests.browser.test_demo_login import log_in

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}

SHEET = (
    "Day,Newsletter opens,Site visits,Comment\n"
    "2026-03-01,1840,312,spring launch\n"
    "2026-03-02,1520,,\n"
    "2026-03-03,1610,290,\n"
    "Total,4970,602,\n"
)


def account_with_history() -> SocialAccount:
    """A connected account whose authorisation has lapsed, with a few syncs behind it."""
    account = SocialAccount(
        workspace=Workspace.objects.get(slug="demo"),
        platform="instagram",
        external_id="17841400000000001",
        display_name="Maison Lumière Boutique",
        handle="@maisonlumiere.boutique",
        timezone="Europe/Paris",
        status=AccountStatus.NEEDS_REAUTH,
    )
    account.credentials = {"access_token": "expired-token"}
    account.save()
    now = timezone.now()
    runs = [
        (SyncTrigger.CONNECT, SyncStatus.SUCCEEDED, 74, 95, 12, 410, [], ""),
        (SyncTrigger.SCHEDULE, SyncStatus.SUCCEEDED, 50, 12, 2, 36, [], ""),
        (
            SyncTrigger.SCHEDULE,
            SyncStatus.PARTIAL,
            26,
            8,
            0,
            24,
            ["Instagram no longer reports “impressions” for Reels; it was skipped."],
            "",
        ),
        (
            SyncTrigger.MANUAL,
            SyncStatus.FAILED,
            2,
            0,
            0,
            0,
            [],
            "Instagram refused the saved authorisation (the access token expired). "
            "Reconnect the account.",
        ),
    ]
    for trigger, status, hours_ago, days_rows, posts, post_rows, warnings, error in runs:
        queued = now - dt.timedelta(hours=hours_ago)
        run = SyncRun.objects.create(
            account=account,
            trigger=trigger,
            status=status,
            window_start=(queued - dt.timedelta(days=3)).date(),
            window_end=queued.date(),
            account_rows_written=days_rows,
            posts_written=posts,
            post_rows_written=post_rows,
            warnings=warnings,
            error=error,
        )
        SyncRun.objects.filter(pk=run.pk).update(
            queued_at=queued,
            started_at=queued + dt.timedelta(seconds=4),
            finished_at=queued + dt.timedelta(seconds=4 + 17 * (days_rows + 1)),
        )
    account.last_synced_at = now - dt.timedelta(hours=26)
    account.save()
    return account


def both_sizes(page: Page, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_admin_reviews_accounts_and_imports_a_mapped_spreadsheet(
    page: Page, live_server, demo_workspace, console_errors: list[str], tmp_path: Path, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = live_server.url
    settings.PLATFORM_APPS = {
        **settings.PLATFORM_APPS,
        "instagram": {"client_id": "ig-app", "client_secret": "ig-secret", "api_base": ""},
    }
    account_with_history()
    log_in(page, live_server.url, "demo-admin", "demo-admin-2026")

    page.get_by_role("navigation", name="Workspace sections").get_by_role(
        "link", name="Accounts"
    ).click()
    expect(page.get_by_role("heading", name="Social accounts", level=1)).to_be_visible()
    expect(page.get_by_text("Demo data — not synced").first).to_be_visible()
    # Only the connected account can sync; the five demo accounts cannot.
    expect(page.get_by_role("button", name="Sync now")).to_have_count(1)
    expect(page.get_by_text("Not configured").first).to_be_visible()
    expect(page.get_by_role("button", name="Connect Instagram")).to_be_visible()
    expect(page.get_by_text("the access token expired").first).to_be_visible()
    expect(page.get_by_role("button", name="Reconnect").first).to_be_visible()
    both_sizes(page, "accounts")

    page.get_by_role("link", name="Maison Lumière Boutique").click()
    expect(page.get_by_role("heading", name="Sync history")).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(5)
    page.get_by_text("1 warning").click()
    expect(page.get_by_text("no longer reports “impressions” for Reels")).to_be_visible()
    both_sizes(page, "account-history")

    page.get_by_role("link", name="Social accounts").click()
    page.get_by_role("link", name="Maison Lumière", exact=True).first.click()
    expect(page.get_by_text("Demo accounts are generated, never synced.")).to_be_visible()

    page.get_by_role("navigation", name="Workspace sections").get_by_role(
        "link", name="Import"
    ).click()
    sheet = tmp_path / "newsletter.csv"
    sheet.write_text(SHEET)
    page.get_by_label("Export file").set_input_files(str(sheet))
    page.get_by_label("Account").fill("Newsletter")
    page.get_by_label("File format").select_option("generic")
    both_sizes(page, "import-upload")
    page.get_by_role("button", name="Upload and preview").click()

    # The file's columns are listed for mapping.
    expect(page.get_by_text("Next: say what each column holds.")).to_be_visible()
    page.get_by_label("Day", exact=True).select_option("date")
    page.get_by_label("Newsletter opens").select_option("impressions")
    page.get_by_label("Site visits").select_option("profile_visits")
    both_sizes(page, "import-mapping")
    page.get_by_role("button", name="Preview again").click()

    expect(page.get_by_role("heading", name="What will be imported")).to_be_visible()
    expect(page.get_by_text("new: will be created")).to_be_visible()
    expect(page.get_by_text("“Total” row: a sum, not a day.")).to_be_visible()
    expect(page.get_by_text("The first 3 days (of 3)")).to_be_visible()
    assert not SocialAccount.objects.filter(display_name="Newsletter").exists()
    both_sizes(page, "import-preview")

    page.get_by_role("button", name="Import these numbers").click()
    expect(page.get_by_text("Imported into Newsletter.")).to_be_visible()
    expect(page.get_by_role("heading", name="What was imported")).to_be_visible()
    both_sizes(page, "import-result")

    account = SocialAccount.objects.get(display_name="Newsletter")
    assert AccountMetric.objects.filter(account=account).count() == 5
    assert FileImport.objects.get().status == "imported"

    page.get_by_role("link", name="Open Newsletter").click()
    expect(page.get_by_text("Updated by file imports").first).to_be_visible()
    expect(page.get_by_role("heading", name="Files imported into this account")).to_be_visible()

    page.get_by_role("navigation", name="Workspace sections").get_by_role(
        "link", name="Export"
    ).click()
    page.get_by_label("Posts: one row per post and metric, latest value").check()
    both_sizes(page, "export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "rapport-demo-post.csv"
    assert console_errors == []


def test_admin_connects_instagram_and_picks_accounts(
    page: Page, live_server, demo_workspace, console_errors: list[str], settings, monkeypatch
) -> None:
    from connectors import oauth
    from connectors.base import DiscoveredAccount
    from connectors.registry import connector_class

    settings.SITE_URL = live_server.url
    settings.PLATFORM_APPS = {
        **settings.PLATFORM_APPS,
        "instagram": {"client_id": "ig-app", "client_secret": "ig-secret", "api_base": ""},
    }
    instagram = connector_class("instagram")
    discovered = [
        DiscoveredAccount(
            external_id=f"178414000000000{index}",
            display_name=name,
            handle=handle,
            credentials={"access_token": f"page-token-{index}"},
        )
        for index, (name, handle) in enumerate(
            [
                ("Maison Lumière Boutique", "@maisonlumiere.boutique"),
                ("Maison Lumière Atelier", "@maisonlumiere.atelier"),
                ("Maison Lumière Outlet", "@maisonlumiere.outlet"),
            ]
        )
    ]
    monkeypatch.setattr(
        instagram, "oauth_exchange", classmethod(lambda cls, **kw: {"access_token": "user"})
    )
    monkeypatch.setattr(instagram, "discover_accounts", classmethod(lambda cls, **kw: discovered))
    requested: list[str] = []
    monkeypatch.setattr(
        oauth,
        "sync_run_request",
        lambda *, account, trigger, **kw: requested.append(f"{account.display_name}:{trigger}"),
    )

    def consent(route) -> None:
        # The provider's consent page cannot be reached here: answer as if the user agreed.
        state = route.request.url.split("state=")[1].split("&")[0]
        route.fulfill(
            status=302,
            headers={
                "Location": f"{live_server.url}/connect/instagram/callback/?code=ok&state={state}"
            },
        )

    page.route("https://www.facebook.com/**", consent)
    log_in(page, live_server.url, "demo-admin", "demo-admin-2026")
    page.goto(f"{live_server.url}/w/demo/accounts/")
    page.get_by_role("button", name="Connect Instagram").click()

    expect(page.get_by_role("heading", name="Choose the accounts to add")).to_be_visible()
    page.get_by_label("Maison Lumière Boutique").check()
    page.get_by_label("Maison Lumière Outlet").check()
    both_sizes(page, "connect-choose")
    page.get_by_role("button", name="Add the selected accounts").click()

    expect(
        page.get_by_text("Connected: Maison Lumière Boutique, Maison Lumière Outlet.")
    ).to_be_visible()
    assert requested == ["Maison Lumière Boutique:connect", "Maison Lumière Outlet:connect"]
    added = SocialAccount.objects.get(external_id="1784140000000000")
    assert added.credentials == {"access_token": "page-token-0"}

    def deny(route) -> None:
        state = route.request.url.split("state=")[1].split("&")[0]
        back = f"{live_server.url}/connect/instagram/callback/?error=access_denied&state={state}"
        route.fulfill(status=302, headers={"Location": back})

    page.unroute("https://www.facebook.com/**")
    page.route("https://www.facebook.com/**", deny)
    page.get_by_role("button", name="Connect Instagram").click()
    expect(page.get_by_role("heading", name="Connection cancelled")).to_be_visible()
    expect(page.get_by_role("button", name="Connect Instagram again")).to_be_visible()
    both_sizes(page, "connect-cancelled")
    assert console_errors == []
