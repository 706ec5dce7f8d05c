"""The System page: who may see it, and what it says about the broker, workers and beat, with a
private Redis that is up, then stopped."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from config.background import (
    DISPATCHER_TASK,
    HEARTBEATS_KEY,
    broker_state_forget,
    worker_heartbeat_write,
)
from connectors.models import Role, SyncRun, SyncStatus, User, Workspace
from reporting.report_models import ReportFormat, ReportRun, RunStatus
from tests.factories import SocialAccountFactory
from tests.ops.private_redis import PrivateRedis

pytestmark = pytest.mark.django_db


def page_url(workspace: Workspace) -> str:
    return reverse("system:page", kwargs={"workspace_slug": workspace.slug})


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.ADMIN, 200), (Role.MANAGER, 403), (Role.ANALYST, 403), (Role.VIEWER, 403)],
)
def test_only_workspace_admins_see_the_system_page(
    client: Client,
    workspace: Workspace,
    member_factory: Callable[..., User],
    role: str,
    expected: int,
) -> None:
    client.force_login(member_factory(workspace, role))
    assert client.get(page_url(workspace)).status_code == expected


def test_an_admin_of_another_workspace_gets_404(
    client: Client,
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Callable[..., User],
) -> None:
    client.force_login(member_factory(other_workspace, Role.ADMIN))
    assert client.get(page_url(workspace)).status_code == 404


def test_the_settings_page_links_to_it(
    client: Client, workspace: Workspace, admin_member: User
) -> None:
    client.force_login(admin_member)
    response = client.get(reverse("connectors:workspace_settings", args=[workspace.slug]))
    assert page_url(workspace) in response.content.decode()


def test_without_a_broker_it_says_tasks_run_in_process(
    client: Client, workspace: Workspace, admin_member: User, settings: Any
) -> None:
    settings.CELERY_BROKER_URL = ""
    client.force_login(admin_member)
    body = client.get(page_url(workspace)).content.decode()
    assert "Tasks run inside the web process" in body
    assert "make worker" in body and "paused" not in body


def test_it_lists_this_workspaces_syncs_and_waiting_or_failed_reports(
    client: Client, workspace: Workspace, other_workspace: Workspace, admin_member: User
) -> None:
    account = SocialAccountFactory.create(workspace=workspace, display_name="Acme Insta")
    SyncRun.objects.create(
        account=account, trigger="schedule", status=SyncStatus.FAILED, error="Token expired."
    )
    hidden = SocialAccountFactory.create(workspace=other_workspace, display_name="Globex Page")
    SyncRun.objects.create(account=hidden, trigger="schedule", status=SyncStatus.FAILED)
    for title, status in (("Queued one", RunStatus.QUEUED), ("Broken one", RunStatus.FAILED)):
        ReportRun.objects.create(
            workspace=workspace,
            title=title,
            period_start=dt.date(2026, 10, 1),
            period_end=dt.date(2026, 10, 31),
            language="en",
            format=ReportFormat.PDF,
            status=status,
            error="Chromium crashed." if status == RunStatus.FAILED else "",
        )
    client.force_login(admin_member)
    body = client.get(page_url(workspace)).content.decode()
    assert "Acme Insta" in body and "Token expired." in body
    assert "Globex Page" not in body
    assert "Queued one" in body and "Broken one" in body and "Chromium crashed." in body


def test_with_redis_up_then_stopped(
    client: Client, workspace: Workspace, admin_member: User, broker: PrivateRedis
) -> None:
    crontab = CrontabSchedule.objects.create(minute="*/15")
    PeriodicTask.objects.create(
        name="Sync accounts from platform APIs",
        task=DISPATCHER_TASK,
        crontab=crontab,
        last_run_at=timezone.now() - dt.timedelta(minutes=4),
    )
    worker_heartbeat_write(hostname="celery@alive")
    stale = time.time() - 12 * 60
    redis.Redis.from_url(broker.url).hset(HEARTBEATS_KEY, "celery@gone", str(stale))
    client.force_login(admin_member)

    body = client.get(page_url(workspace)).content.decode()
    assert "Reachable: it answered" in body
    assert "1 worker answering (celery@alive)" in body
    assert "Beat queued the sync dispatcher 4\xa0minutes ago." in body
    assert "0 tasks waiting in the queue." in body
    assert "Background work is paused" not in body

    redis.Redis.from_url(broker.url).hdel(HEARTBEATS_KEY, "celery@alive")
    body = client.get(page_url(workspace)).content.decode()
    assert "No worker has answered for 12\xa0minutes" in body and "make worker" in body

    broker.stop()
    broker_state_forget()
    started = time.monotonic()
    response = client.get(page_url(workspace))
    assert time.monotonic() - started < 4  # a probe of the broker and one of its heartbeats
    body = response.content.decode()
    assert response.status_code == 200
    assert "Unreachable (ConnectionError)" in body
    assert "Unknown while the task queue is unreachable." in body
    assert "Background work is paused: the task queue is unreachable." in body
