"""Dashboard tasks; idempotent: a warm-up of an unchanged data version does nothing."""

from __future__ import annotations

from celery import shared_task

from dashboards.warm import panels_warm_all


@shared_task(name="dashboards.panels_warm")
def panels_warm() -> int:
    """Compute the default overview of every workspace whose data changed (``dashboards.warm``)."""
    return panels_warm_all()


# Report tasks live with the reports package; imported so that autodiscovery registers them.
from dashboards.reports import schedule_tasks as _schedule_tasks  # noqa: E402, F401
from dashboards.reports import tasks as _report_tasks  # noqa: E402, F401
