from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone

from connectors.demo import demo_workspace_seed
from connectors.models import (
    AccountMetric,
    AccountStatus,
    Platform,
    Role,
    SocialAccount,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    User,
    Workspace,
)
from tests.factories import PASSWORD, SocialAccountFactory, UserFactory

# The lead includes dashboards.urls_health in config/urls.py; until then the tests add it here.
urlpatterns = [path("", include("config.urls")), path("", include("dashboards.urls_health"))]
pytestmark = pytest.mark.urls(__name__)

PARIS = ZoneInfo("Europe/Paris")  # the factories' workspace timezone


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def page_url(workspace: Workspace, query: str = "") -> str:
    return reverse("health:page", kwargs={"workspace_slug": workspace.slug}) + query


def account_url(workspace: Workspace, account: SocialAccount, query: str = "") -> str:
    kwargs = {"workspace_slug": workspace.slug, "account_id": account.pk}
    return reverse("health:account", kwargs=kwargs) + query


@pytest.fixture
def configured(settings: Any) -> None:
    apps = {
        key: {"client_id": "", "client_secret": "", "api_base": ""}
        for key in settings.PLATFORM_KEYS
    }
    apps["instagram"] = {"client_id": "ig", "client_secret": "ig-secret", "api_base": ""}
    settings.PLATFORM_APPS = apps


def connected(workspace: Workspace, **fields: Any) -> SocialAccount:
    account: SocialAccount = SocialAccountFactory.create(
        workspace=workspace, platform=Platform.INSTAGRAM, **fields
    )
    account.credentials = {"access_token": "t"}
    account.save()
    return account


def recent_facts(account: SocialAccount, days: int = 10, metric: str = "followers") -> None:
    yesterday = timezone.localdate(timezone=PARIS) - dt.timedelta(days=1)
    AccountMetric.objects.bulk_create(
        AccountMetric(account=account, day=yesterday - dt.timedelta(days=n), metric=metric, value=1)
        for n in range(days)
    )


@pytest.fixture
def broken(workspace: Workspace, configured: None) -> SocialAccount:
    account = connected(workspace, display_name="Broken Insta", status=AccountStatus.NEEDS_REAUTH)
    SyncRun.objects.create(
        account=account,
        trigger=SyncTrigger.SCHEDULE,
        status=SyncStatus.FAILED,
        error="Instagram refused the token: it was revoked.",
    )
    recent_facts(account)
    return account


@pytest.fixture
def healthy(workspace: Workspace) -> SocialAccount:
    account = connected(workspace, display_name="Fine Insta", last_synced_at=timezone.now())
    SyncRun.objects.create(
        account=account, trigger=SyncTrigger.SCHEDULE, status=SyncStatus.SUCCEEDED
    )
    recent_facts(account)
    return account


def test_empty_workspace_explains_how_to_start(workspace: Workspace, admin_member: User) -> None:
    response = client_for(admin_member).get(page_url(workspace))
    html = response.content.decode()
    assert response.status_code == 200
    assert "No social accounts in this workspace yet" in html
    assert reverse("connectors:import", kwargs={"workspace_slug": workspace.slug}) in html


def test_summary_and_fix_for_an_account_that_needs_reauthorisation(
    workspace: Workspace, admin_member: User, broken: SocialAccount, healthy: SocialAccount
) -> None:
    html = client_for(admin_member).get(page_url(workspace)).content.decode()

    assert re.search(r"Accounts OK</dt><dd>1<", html)
    assert re.search(r"Need attention</dt><dd>1<", html)
    assert "1 account needs attention." in html
    assert "Rapport needs to be authorised again." in html
    assert "Instagram refused the token: it was revoked." in html
    connect = reverse(
        "connectors:connect_start",
        kwargs={"workspace_slug": workspace.slug, "platform": "instagram"},
    )
    assert f'action="{connect}"' in html
    assert account_url(workspace, broken) in html and account_url(workspace, healthy) in html


def test_viewer_reads_everything_but_gets_no_fix_buttons(
    workspace: Workspace, viewer: User, broken: SocialAccount
) -> None:
    client = client_for(viewer)
    for url in (page_url(workspace), account_url(workspace, broken)):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200
        assert "Rapport needs to be authorised again." in html
        assert "An administrator of this workspace can fix it." in html
        assert "connect/instagram" not in html and "/sync/" not in html
        assert 'class="fix__actions"' not in html and "/import/" not in html


def test_failed_sync_offers_sync_now_on_the_account_page(
    workspace: Workspace, admin_member: User, configured: None
) -> None:
    account = connected(workspace, status=AccountStatus.ERROR)
    SyncRun.objects.create(
        account=account,
        trigger=SyncTrigger.SCHEDULE,
        status=SyncStatus.FAILED,
        error="Server error 500",
        window_start=timezone.localdate() - dt.timedelta(days=3),
        window_end=timezone.localdate() - dt.timedelta(days=1),
    )
    html = client_for(admin_member).get(account_url(workspace, account)).content.decode()
    sync = reverse(
        "connectors:account_sync",
        kwargs={"workspace_slug": workspace.slug, "account_id": account.pk},
    )
    assert f'action="{sync}"' in html and "The last sync failed." in html
    assert "Server error 500" in html
    assert "Sync failed" in html  # the missing days' reason


def test_another_workspaces_account_is_404(
    workspace: Workspace,
    other_workspace: Workspace,
    admin_member: User,
    member_factory: Callable[..., User],
) -> None:
    foreign = SocialAccountFactory.create(workspace=other_workspace)
    assert client_for(admin_member).get(account_url(workspace, foreign)).status_code == 404
    stranger = member_factory(other_workspace, Role.ADMIN, username="stranger")
    assert client_for(stranger).get(page_url(workspace)).status_code == 404


def test_coverage_grid_shows_percent_of_days(
    workspace: Workspace, viewer: User, healthy: SocialAccount
) -> None:
    recent_facts(healthy, days=7, metric="impressions")
    html = client_for(viewer).get(page_url(workspace, "?range=28d")).content.decode()
    # Followers every day of the last 10 of 28, impressions 7: both counted from the first data.
    assert "100%" in html and "70%" in html
    assert "7 of 10 days with a value" in html


def test_page_queries_do_not_grow_with_accounts(workspace: Workspace, viewer: User) -> None:
    client = client_for(viewer)

    def queries() -> int:
        cache.clear()  # cold every time: cached panels would hide the queries being counted
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page_url(workspace)).status_code == 200
        return len(captured)

    def add(count: int) -> None:
        for _ in range(count):
            account = connected(workspace)
            recent_facts(account)
            SyncRun.objects.create(account=account, trigger=SyncTrigger.SCHEDULE, status="failed")

    add(2)
    few = queries()
    add(6)
    assert queries() == few <= 12


def test_demo_facebook_outage_is_shown_as_a_gap(db: None) -> None:
    demo = demo_workspace_seed(end=dt.date(2025, 10, 31), days=30).workspace
    facebook = SocialAccount.objects.get(workspace=demo, platform=Platform.FACEBOOK)
    user = UserFactory.create(username="health-viewer", language="en")
    user.memberships.create(workspace=demo, role=Role.VIEWER)
    client = client_for(user)

    query = "?range=custom&start=2025-10-01&end=2025-10-31"
    html = client.get(account_url(demo, facebook, query)).content.decode()

    assert "Oct. 14, 2025 – Oct. 17, 2025" in html
    assert "(4 days)" in html and "Not reported by the platform" in html
    assert "Demo data." in html and 'class="fix__actions"' not in html
    figure = json.loads(
        re.search(
            r'<script id="figure-coverage" type="application/json">(.*?)</script>', html, re.S
        ).group(1)  # type: ignore[union-attr]
    )
    names = {trace["name"] for trace in figure["data"]}
    assert "Not reported by the platform" in names and "Value stored" in names

    overview = client.get(page_url(demo, query)).content.decode()
    assert "Every account is collecting normally." in overview
