"""A real Celery worker process, fed through real Redis, writing to the test database."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import IO
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Max

from config.celery import app
from connectors.demo import demo_yesterday
from connectors.models import AccountMetric
from connectors.tasks import demo_topup

pytestmark = pytest.mark.worker

REDIS_URL = os.environ.get("RAPPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[1]
CELERY = Path(sys.executable).with_name("celery")
TIMEOUT_SECONDS = 60


def worker_database_url() -> str:
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = quote(settings["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings["HOST"] or "localhost"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings['NAME'], safe='')}"


@pytest.fixture
def broker() -> Iterator[str]:
    """Point task sending at Redis for this test, then put the app back as it was."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with app.connection_for_write(REDIS_URL) as conn:
            conn.ensure_connection(max_retries=1)
            app.control.purge(connection=conn)  # nothing left over from an earlier run
        yield REDIS_URL
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def worker_log() -> Iterator[IO[str]]:
    with tempfile.TemporaryFile("w+") as log:
        yield log


def tail(log: IO[str]) -> str:
    log.flush()
    log.seek(0)
    return "".join(log.readlines()[-40:])


def test_worker_runs_demo_topup(transactional_db: None, broker: str, worker_log: IO[str]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("The worker is a separate process: it needs the Postgres test database.")
    # Committed rows (transactional_db), so the worker's own connection sees them.
    seeded_end = demo_yesterday(tz="Europe/Paris") - dt.timedelta(days=3)
    call_command("seed_demo", "--days=3", f"--end={seeded_end}", stdout=StringIO())
    assert AccountMetric.objects.aggregate(last=Max("day"))["last"] == seeded_end

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": broker,
        "PYTHONUNBUFFERED": "1",
    }
    worker = subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            "celery",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=rapport-test-{uuid.uuid4().hex[:8]}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        with app.connection_for_write(broker) as conn:
            # By name, as beat sends it: the worker must know the task under its stable name.
            app.send_task(demo_topup.name, connection=conn)

        deadline = time.monotonic() + TIMEOUT_SECONDS
        last = seeded_end
        while time.monotonic() < deadline:
            assert worker.poll() is None, f"The worker exited early:\n{tail(worker_log)}"
            last = AccountMetric.objects.aggregate(last=Max("day"))["last"]
            if last > seeded_end:
                break
            time.sleep(0.5)
        else:
            pytest.fail(
                f"The worker did not top up the demo within {TIMEOUT_SECONDS} s "
                f"(last day still {last}):\n{tail(worker_log)}"
            )
        # The task extends to yesterday; allow for the test straddling midnight in Paris.
        assert last >= seeded_end + dt.timedelta(days=3)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
