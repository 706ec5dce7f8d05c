"""/healthz: its status depends on the database and the broker only; workers and beat are
reported beside them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from config.background import DISPATCHER_TASK, worker_heartbeat_write
from tests.ops.private_redis import PrivateRedis

pytestmark = pytest.mark.django_db


def test_embedded_mode_says_in_process(client: Client, settings: Any) -> None:
    settings.CELERY_BROKER_URL = ""
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["broker"] == {"status": "ok", "mode": "in-process"}
    assert body["workers"] == {"status": "in-process"} and body["beat"] == {"status": "in-process"}


def test_workers_and_beat_freshness(client: Client, broker: PrivateRedis) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["broker"]["mode"] == "broker"
    assert body["workers"] == {"status": "none", "alive": 0}
    assert body["beat"] == {"status": "unscheduled"}

    worker_heartbeat_write(hostname="celery@one")
    PeriodicTask.objects.create(
        name="dispatcher",
        task=DISPATCHER_TASK,
        crontab=CrontabSchedule.objects.create(minute="*/15"),
        last_run_at=timezone.now() - dt.timedelta(hours=2),
    )
    body = client.get("/healthz").json()
    assert body["workers"]["status"] == "ok" and body["workers"]["alive"] == 1
    assert body["beat"]["status"] == "stale" and body["beat"]["age_seconds"] >= 7200


def test_a_stopped_broker_is_down_and_workers_unknown(
    client: Client,
    broker: PrivateRedis,
) -> None:
    broker.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down" and body["broker"]["status"] == "down"
    assert body["database"]["status"] == "ok"
    assert body["workers"] == {"status": "unknown"}
