"""A Redis server of the test's own, on a free port, that a test may stop and start again.

The machine's shared Redis is never stopped: other test runs use it. This one keeps its data in
an append-only file, as a production broker should, so messages queued before a stop are still
there after the restart.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from config.background import broker_state_forget
from config.celery import app
from tests.processes import free_port


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    client.close()
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()  # SIGTERM: Redis flushes its append-only file and exits
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def point_celery_at(url: str) -> None:
    """Make task sending use ``url`` (the app caches its connection pools)."""
    app.conf["broker_url"] = url
    # The pools are made on first use from the URL of that moment: drop them.
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]
    broker_state_forget()


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
