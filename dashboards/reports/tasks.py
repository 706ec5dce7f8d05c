"""Report tasks. Idempotent: a run is claimed with a conditional UPDATE (QUEUED → RENDERING), so
a task delivered twice renders once; the run row is what the waiting page shows."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from dashboards.reports.services import report_run_render
from reporting.report_models import ReportRun, RunStatus


# The render stops itself at RAPPORT_REPORT_RENDER_TIMEOUT (dashboards.reports.limits). The soft
# limit, 30 s later, fails the run if it was stuck where that could not land; the hard limit kills
# the worker process a minute after that, and the lease below lets the dispatcher queue it again.
@shared_task(
    name="reports.run_render",
    soft_time_limit=settings.REPORT_RENDER_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_RENDER_HARD_TIME_LIMIT,
)
def run_render(run_id: int) -> str:
    """Render a run someone asked for on the Reports page (or the archive's "render again")."""
    # claimed_at is the lease: a run still rendering a task time limit later lost its worker,
    # and the dispatcher (reports.schedules_dispatch) queues it again.
    claimed = ReportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RENDERING, progress=1, claimed_at=timezone.now()
    )
    if not claimed:
        return "not queued"
    run = ReportRun.objects.select_related("workspace").get(pk=run_id)
    return str(report_run_render(run=run).status)
