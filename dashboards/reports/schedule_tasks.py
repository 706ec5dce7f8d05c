"""Celery tasks of report schedules: thin wrappers over ``dashboards.reports.delivery``.

Task names are explicit and stable: they are stored in django-celery-beat rows and in queued
messages. No task retries by itself: each step is claimed with a conditional UPDATE and the
dispatcher hands out again, every few minutes, a step whose worker was lost.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from dashboards.reports.delivery import (
    report_run_send,
    report_schedule_run,
    report_schedules_dispatch,
)


@shared_task(name="reports.schedules_dispatch", autoretry_for=(OperationalError,), max_retries=2)
def schedules_dispatch() -> dict[str, int]:
    """Queue the run of every due schedule and recover runs lost with their worker.

    Idempotency key: (schedule, report period): a doubled, late or repeated tick queues each
    period once. Returns the counts (for the worker log)."""
    result = report_schedules_dispatch()
    return {"queued": result.queued, "recovered": result.recovered}


@shared_task(name="reports.schedule_run")
def schedule_run(run_id: int) -> str:
    """Render a queued scheduled run, then skip it, hold it for review or send it.

    Idempotency key: the run id; only a worker that moves the run out of QUEUED does anything,
    so a duplicate message is a no-op. Returns the run's status (for the worker log)."""
    run = report_schedule_run(run_id=run_id)
    return str(run.status) if run is not None else "not queued"


@shared_task(name="reports.schedule_send")
def schedule_send(run_id: int) -> str:
    """Email the pending and failed deliveries of a run being sent (approved, retried, or
    resumed after a lost worker). Idempotency key: each delivery, claimed before it is sent."""
    return str(report_run_send(run_id=run_id).status)
