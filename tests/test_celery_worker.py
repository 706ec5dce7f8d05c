"""A real Celery worker process, fed through real Redis, writing to the test database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import IO

import pytest
from django.core.management import call_command
from django.db.models import Max

from connectors.demo import demo_yesterday
from connectors.models import AccountMetric
from connectors.tasks import demo_topup
from tests.processes import (
    CELERY,
    REDIS_URL,
    ROOT,
    broker_for_tests,
    celery_worker,
    require_postgres,
    send,
    wait_for,
    worker_database_url,
)

__all__ = ["CELERY", "REDIS_URL", "ROOT", "tail", "worker_database_url"]  # used by other tests

pytestmark = pytest.mark.worker

TIMEOUT_SECONDS = 60


@pytest.fixture
def broker() -> Iterator[str]:
    """Point task sending at Redis for this test, then put the app back as it was."""
    with broker_for_tests() as url:
        yield url


def tail(log: IO[str]) -> str:
    log.flush()
    log.seek(0)
    return "".join(log.readlines()[-40:])


def test_worker_runs_demo_topup(transactional_db: None, broker: str) -> None:
    require_postgres()
    # Committed rows (transactional_db), so the worker's own connection sees them.
    seeded_end = demo_yesterday(tz="Europe/Paris") - dt.timedelta(days=3)
    call_command("seed_demo", "--days=3", f"--end={seeded_end}", stdout=StringIO())
    assert AccountMetric.objects.aggregate(last=Max("day"))["last"] == seeded_end

    worker = celery_worker({"DATABASE_URL": worker_database_url(), "CELERY_BROKER_URL": broker})
    try:
        # By name, as beat sends it: the worker must know the task under its stable name.
        send(demo_topup.name)
        last = wait_for(
            "the worker to top up the demo",
            lambda: (
                (day := AccountMetric.objects.aggregate(last=Max("day"))["last"]) > seeded_end
                and day
            ),
            processes=[worker],
            timeout=TIMEOUT_SECONDS,
        )
        # The task extends to yesterday; allow for the test straddling midnight in Paris.
        assert last >= seeded_end + dt.timedelta(days=3)
    finally:
        worker.stop()
