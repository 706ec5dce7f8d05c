"""Fixtures of the operations tests: a private Redis, and Celery pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config.celery import app
from tests.ops.private_redis import PrivateRedis, point_celery_at


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def broker(settings: Any, private_redis: PrivateRedis) -> Iterator[PrivateRedis]:
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    settings.CELERY_BROKER_URL = private_redis.url
    app.conf.task_always_eager = False
    point_celery_at(private_redis.url)
    try:
        yield private_redis
    finally:
        app.conf.task_always_eager = previous[1]
        point_celery_at(previous[0])
