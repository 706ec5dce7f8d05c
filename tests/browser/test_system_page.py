"""The System page in a browser, with background work running, then with Redis stopped."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from playwright.sync_api import Page, expect

from config.background import DISPATCHER_TASK, broker_state_forget, worker_heartbeat_write
from connectors.models import SocialAccount, SyncRun, SyncStatus, SyncTrigger, Workspace
from tests.browser.conftest import screenshot
from tests.browser.test_demo_login import log_in
from tests.ops.private_redis import PrivateRedis, broker, private_redis

pytestmark = pytest.mark.browser
__all__ = ["broker", "private_redis"]


def test_system_page_with_redis_up_then_down(
    page: Page,
    live_server: Any,
    transactional_db: None,
    broker: PrivateRedis,
    console_errors: list[str],
) -> None:
    call_command("seed_demo", days=14, stdout=open("/dev/null", "w"))  # noqa: SIM115
    workspace = Workspace.objects.get(slug="demo")
    account = SocialAccount(
        workspace=workspace,
        platform="instagram",
        external_id="17841400000000009",
        display_name="Maison Lumière Boutique",
        handle="@maisonlumiere.boutique",
        timezone="Europe/Paris",
        last_synced_at=timezone.now() - dt.timedelta(hours=3),
    )
    account.credentials = {"access_token": "t"}
    account.save()
    SyncRun.objects.create(
        account=account,
        trigger=SyncTrigger.SCHEDULE,
        status=SyncStatus.FAILED,
        error="Instagram answered 503 for an hour; the next scheduled sync tries again.",
    )
    PeriodicTask.objects.create(
        name="Sync accounts from platform APIs",
        task=DISPATCHER_TASK,
        crontab=CrontabSchedule.objects.create(minute="*/15"),
        last_run_at=timezone.now() - dt.timedelta(minutes=6),
    )
    worker_heartbeat_write(hostname="celery@web-1")

    log_in(page, live_server.url, "demo-admin", "demo-admin-2026")
    page.goto(f"{live_server.url}/w/demo/settings/")
    screenshot(page, "workspace-settings-system-link")
    page.locator(".settings-tabs").get_by_role("link", name="System").click()
    expect(page.get_by_role("heading", name="System", exact=True)).to_be_visible()
    expect(page.locator(".status-check--ok")).to_have_count(4)
    screenshot(page, "system-page-broker-up")

    broker.stop()
    broker_state_forget()
    page.reload()
    expect(page.locator("[data-background-paused]")).to_contain_text(
        "Background work is paused: the task queue is unreachable."
    )
    # The broker is down and the workers unknown; beat's last run is still recent.
    expect(page.locator(".status-check--error")).to_have_count(1)
    expect(page.locator(".status-check--warning")).to_have_count(1)
    screenshot(page, "system-page-broker-down")
    assert console_errors == []
