"""A real Celery worker stops a render past its time limit, marks the run failed, and renders the
next run: the limit is enforced inside the worker process, which goes on."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app
from connectors.models import Workspace
from dashboards.reports.services import report_run_create
from dashboards.reports.tasks import run_render
from reporting.report_models import ReportFormat, ReportRun, ReportTemplate, RunStatus
from tests.factories import AccountMetricFactory, SocialAccountFactory
from tests.processes import CELERY, Process, broker_for_tests, worker_database_url

pytestmark = pytest.mark.worker

TODAY = dt.date(2026, 11, 25)
WAIT_SECONDS = 90


@pytest.fixture
def broker() -> Iterator[str]:
    with broker_for_tests() as url:
        yield url


def _wait(run: ReportRun, worker: Process) -> ReportRun:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        assert worker.alive(), f"The worker exited:\n{worker.tail()}"
        run.refresh_from_db()
        if run.status in (RunStatus.READY, RunStatus.FAILED):
            return run
        time.sleep(0.3)
    pytest.fail(f"Run {run.pk} still {run.status} after {WAIT_SECONDS} s:\n{worker.tail()}")


def test_a_worker_stops_a_render_past_the_time_limit_and_renders_the_next_one(
    transactional_db: None, workspace: Workspace, broker: str, tmp_path: Path
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("The worker is a separate process: it needs the Postgres test database.")
    account = SocialAccountFactory.create(workspace=workspace)
    for day in range(1, 31):
        AccountMetricFactory.create(
            account=account, day=dt.date(2026, 10, day), metric="reach", value=day
        )
    # Chromium's start alone takes about 2.5 s: twenty charts take well over the 3 s allowed.
    heavy = ReportTemplate.objects.create(
        workspace=workspace,
        key="heavy",
        name="Heavy",
        sections=[{"type": "kpi_chart", "kpi": "reach", "by": "platform"}] * 20,
    )
    light = ReportTemplate.objects.create(
        workspace=workspace, key="light", name="Light", sections=[{"type": "cover"}]
    )
    slow, _created = report_run_create(template=heavy, fmt=ReportFormat.PDF, today=TODAY)
    quick, _created = report_run_create(template=light, fmt=ReportFormat.CSV, today=TODAY)

    env = {
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": broker,
        "RAPPORT_DATA_DIR": str(tmp_path),
        "RAPPORT_REPORT_RENDER_TIMEOUT": "3",
    }
    # prefork, not the solo pool of the other worker tests: Celery's own time limits (the
    # backstop behind the render's watchdog) need a pool that can kill its child.
    worker = Process(
        "worker",
        [
            str(CELERY),
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "-Q",
            "celery",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=rapport-limits-{uuid.uuid4().hex[:8]}@%h",
        ],
        env,
    )
    try:
        with app.connection_for_write(broker) as conn:
            app.send_task(run_render.name, args=[slow.pk], connection=conn)
            app.send_task(run_render.name, args=[quick.pk], connection=conn)

        slow = _wait(slow, worker)
        assert slow.status == RunStatus.FAILED, worker.tail()
        assert "took longer than the limit of 3 s" in slow.error
        assert not slow.file

        quick = _wait(quick, worker)
        assert quick.status == RunStatus.READY, quick.error or worker.tail()
        assert quick.file
    finally:
        worker.stop()
