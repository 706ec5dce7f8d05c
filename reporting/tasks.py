"""Celery tasks of the reporting app: thin wrappers with explicit, stable names."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from reporting.alerts.services import alerts_evaluate


@shared_task(name="reporting.alerts_evaluate", autoretry_for=(OperationalError,), max_retries=2)
def alerts_evaluate_task() -> dict[str, int]:
    """Evaluate every active alert rule and send the deliveries that are due.

    Idempotency key: (rule, occurrence key) for events, the delivery row for messages. A
    duplicate or late run fires nothing twice; a failed delivery is retried by later runs up
    to ``MAX_ATTEMPTS``. Returns the run's counts (for the worker log).
    """
    run = alerts_evaluate()
    return {
        "rules": run.rules,
        "fired": run.fired,
        "resolved": run.resolved,
        "sent": run.sent,
        "failed": run.failed,
    }
