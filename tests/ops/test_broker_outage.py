"""Fault: Redis stopped. Pages still load from Postgres and say background work is paused;
queuing work gives a clear message, never a 500, and loses nothing; when Redis returns, the
work queued before it stopped runs on a real worker.

Uses a private redis-server (tests/ops/private_redis.py): the shared one is never stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.background import broker_state_forget, task_send
from connectors.demo import demo_yesterday
from connectors.models import AccountMetric, Role, SyncRun, SyncStatus, Workspace
from connectors.tasks import demo_topup
from reporting.report_models import ReportRun, ReportTemplate, RunStatus
from tests.factories import MembershipFactory, SocialAccountFactory, UserFactory
from tests.ops.private_redis import PrivateRedis, point_celery_at
from tests.processes import celery_worker, worker_database_url

pytestmark = pytest.mark.worker
TIMEOUT_SECONDS = 60


def timed_get(client: Client, url: str) -> tuple[int, str, float]:
    started = time.monotonic()
    response = client.get(url)
    return response.status_code, response.content.decode(), time.monotonic() - started


def test_redis_stopped_then_back(
    transactional_db: None, broker: PrivateRedis, settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("The worker is a separate process: it needs the Postgres test database.")
    settings.MEDIA_ROOT = broker.directory.parent / "media"
    seeded_end = demo_yesterday(tz="Europe/Paris") - dt.timedelta(days=3)
    call_command("seed_demo", "--days=3", f"--end={seeded_end}", stdout=StringIO())
    workspace = Workspace.objects.get(slug="demo")
    admin = UserFactory.create(username="outage-admin")
    MembershipFactory(user=admin, workspace=workspace, role=Role.ADMIN)
    connected = SocialAccountFactory.create(
        workspace=workspace, platform="instagram", display_name="Acme Insta"
    )
    connected.credentials = {"access_token": "t"}
    connected.last_synced_at = timezone.now() - dt.timedelta(hours=2)
    connected.save()
    client = Client()
    client.force_login(admin)
    overview = reverse("overview", kwargs={"workspace_slug": "demo"})

    # Work queued while Redis is up and no worker runs: it waits in Redis.
    assert task_send(demo_topup)

    broker.stop()
    broker_state_forget()
    status, body, seconds = timed_get(client, overview)
    assert status == 200 and seconds < 5
    assert "Background work is paused: the task queue is unreachable." in body
    assert "Data shown is as of" in body
    # The check is cached: the next pages do not probe the broker again.
    status, body, seconds = timed_get(client, overview)
    assert status == 200 and seconds < 2 and "Background work is paused" in body

    started = time.monotonic()
    response = client.post(
        reverse("connectors:account_sync", args=["demo", connected.pk]), follow=True
    )
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    run = SyncRun.objects.get(account=connected)
    assert run.status == SyncStatus.FAILED and "task queue is unreachable" in run.error
    assert "could not start" in response.content.decode()

    template = ReportTemplate.objects.filter(workspace=workspace).first()
    assert template is not None
    response = client.post(
        reverse("reports:generate", args=["demo", template.pk]), {"format": "pdf"}, follow=True
    )
    assert response.status_code == 200
    assert "the report is recorded and will be made once background work is back" in (
        response.content.decode()
    )
    report = ReportRun.objects.get(template=template)
    assert report.status == RunStatus.QUEUED  # kept for the dispatcher to send again

    # Redis is back: the banner goes, and a real worker runs what was queued before the stop.
    broker.start()
    point_celery_at(broker.url)
    status, body, _ = timed_get(client, overview)
    assert status == 200 and "Background work is paused" not in body

    worker = celery_worker(
        {
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": broker.url,
            "LOG_FORMAT": "json",
        },
        hostname_prefix="rapport-ops",
    )
    try:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert worker.alive(), f"The worker exited early:\n{worker.tail()}"
            if AccountMetric.objects.aggregate(last=Max("day"))["last"] > seeded_end:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"The queued top-up did not run:\n{worker.tail()}")
        body = client.get(reverse("system:page", args=["demo"])).content.decode()
        assert "1 worker answering (rapport-ops-" in body
    finally:
        output = worker.log_text()
        worker.stop()

    # The worker logged one JSON object per line, its task's records with the task's name and id.
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert records, output[-4000:]
    task_records = [r for r in records if r.get("task_name") == "connectors.demo_topup"]
    assert task_records and all(r.get("task_id") for r in task_records), records[-5:]


def test_private_redis_keeps_messages_over_a_restart(tmp_path: Path) -> None:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        import redis

        redis.Redis(port=server.port).rpush("celery", b"message")
        server.stop()
        server.start()
        assert redis.Redis(port=server.port).lrange("celery", 0, -1) == [b"message"]
    finally:
        server.stop()
