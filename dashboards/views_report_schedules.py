"""Report schedules, the review of drafts before they go, and the delivery log.

Managers and admins only (``Action.MANAGE_REPORTS``): these pages show recipients' addresses
and decide what leaves the workspace. Every object is looked up within the request's
workspace, so another workspace's schedule or run is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import AuditAction, audit_form_changes, audit_record, audit_target
from connectors.permissions import Action
from connectors.scoping import workspace_object_or_404
from dashboards.forms_report_schedules import WEEKDAYS, ReportScheduleForm
from dashboards.reports.delivery import (
    report_run_approve,
    report_run_retry,
    report_schedule_send_now,
    schedule_recipients,
)
from dashboards.reports.review import report_review_rerender, schedule_reviewers
from dashboards.reports.schedules import schedule_next_due
from reporting.report_models import (
    DeliveryStatus,
    ReportDelivery,
    ReportRun,
    ReportSchedule,
    RunStatus,
    ScheduleFrequency,
)

DELIVERIES_PAGE_SIZE = 100
COMMENTARY_MAX = 5000
# A draft can be rendered again while it waits, or after its render failed (and nothing was
# sent), so that a reviewer can fix the commentary and still approve it.
REVIEWABLE = (RunStatus.AWAITING_REVIEW, RunStatus.FAILED)


def schedule_when(schedule: ReportSchedule) -> str:
    """ "Every Monday at 08:00", in the active language."""
    time = schedule.send_time.strftime("%H:%M")
    if schedule.frequency == ScheduleFrequency.WEEKLY:
        weekday = str(dict(WEEKDAYS).get(schedule.weekday, ""))
        return _("Every %(weekday)s at %(time)s") % {"weekday": weekday, "time": time}
    if schedule.frequency == ScheduleFrequency.QUARTERLY:
        return _("Quarterly, on day %(day)s of the quarter at %(time)s") % {
            "day": schedule.day_of_month,
            "time": time,
        }
    return _("Monthly, on day %(day)s at %(time)s") % {"day": schedule.day_of_month, "time": time}


@dataclass(frozen=True)
class ScheduleRow:
    schedule: ReportSchedule
    when: str
    next_due: Any  # aware datetime, shown in the workspace's timezone
    recipients: int


@workspace_required(Action.MANAGE_REPORTS)
def schedules(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    now = timezone.now()
    rows = [
        ScheduleRow(
            schedule=schedule,
            when=schedule_when(schedule),
            next_due=schedule_next_due(schedule, now=now).due_at if schedule.is_active else None,
            recipients=len(schedule_recipients(schedule=schedule)),
        )
        for schedule in ReportSchedule.objects.filter(workspace=workspace)
        .select_related("template", "reviewer", "workspace")
        .order_by("template__name", "pk")
    ]
    waiting = (
        ReportRun.objects.filter(workspace=workspace, status=RunStatus.AWAITING_REVIEW)
        .select_related("schedule")
        .order_by("-created_at")
    )
    return render(request, "reports/schedules/list.html", {"rows": rows, "waiting": waiting})


def _edit(request: WorkspaceRequest, schedule: ReportSchedule | None) -> HttpResponse:
    workspace = request.membership.workspace
    initial = {}
    if (
        schedule is None
        and request.GET.get("template", "").isascii()
        and request.GET.get("template", "").isdecimal()
    ):
        # From a report's preview ("Schedule"); the field's queryset still checks the workspace.
        initial["template"] = int(request.GET["template"])
    form = ReportScheduleForm(
        request.POST if request.method == "POST" else None,
        instance=schedule,
        initial=initial,
        workspace=workspace,
    )
    if request.method == "POST" and form.is_valid():
        if schedule is None:
            form.instance.created_by = request.user
        changes = audit_form_changes(form)
        saved = form.save()
        audit_record(
            action=AuditAction.REPORT_SCHEDULE_CREATED
            if schedule is None
            else AuditAction.REPORT_SCHEDULE_UPDATED,
            workspace=workspace,
            request=request,
            target=audit_target(saved, saved.template.name),
            changes=changes,
        )
        messages.success(
            request, _("The schedule of “%(name)s” is saved.") % {"name": saved.template.name}
        )
        return redirect("report_schedules:list", workspace_slug=workspace.slug)
    return render(request, "reports/schedules/form.html", {"form": form, "schedule": schedule})


@workspace_required(Action.MANAGE_REPORTS)
def schedule_create(request: WorkspaceRequest) -> HttpResponse:
    return _edit(request, None)


@workspace_required(Action.MANAGE_REPORTS)
def schedule_edit(request: WorkspaceRequest, schedule_id: int) -> HttpResponse:
    schedule = workspace_object_or_404(
        ReportSchedule, pk=schedule_id, workspace=request.membership.workspace
    )
    return _edit(request, schedule)


@workspace_required(Action.MANAGE_REPORTS)
def schedule_delete(request: WorkspaceRequest, schedule_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    schedule = workspace_object_or_404(
        ReportSchedule.objects.select_related("template"), pk=schedule_id, workspace=workspace
    )
    if request.method == "POST":
        target = audit_target(schedule, schedule.template.name)
        schedule.delete()  # its runs stay in the archive (the run's schedule is set to null)
        audit_record(
            action=AuditAction.REPORT_SCHEDULE_DELETED,
            workspace=workspace,
            request=request,
            target=target,
        )
        messages.success(
            request, _("The schedule of “%(name)s” is deleted.") % {"name": schedule.template.name}
        )
        return redirect("report_schedules:list", workspace_slug=workspace.slug)
    return render(
        request,
        "reports/schedules/delete.html",
        {"schedule": schedule, "run_count": schedule.runs.count()},
    )


@workspace_required(Action.MANAGE_REPORTS)
@require_POST
def schedule_send_now(request: WorkspaceRequest, schedule_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    schedule = workspace_object_or_404(
        ReportSchedule.objects.select_related("template", "workspace"),
        pk=schedule_id,
        workspace=workspace,
    )
    run, created = report_schedule_send_now(schedule=schedule)
    if not created:
        messages.info(request, _("The report of this period was already made; here it is."))
    elif schedule.review_required:
        messages.success(request, _("The report is being made; it will wait for review."))
    else:
        messages.success(request, _("The report is being made and sent."))
    return redirect("reports:run", workspace_slug=workspace.slug, run_id=run.pk)


@workspace_required(Action.MANAGE_REPORTS)
def deliveries(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    rows = (
        ReportDelivery.objects.filter(run__workspace=workspace)
        .select_related("run")
        .order_by("-updated_at", "-pk")
    )
    page = Paginator(rows, DELIVERIES_PAGE_SIZE).get_page(request.GET.get("page"))
    retryable = set(
        ReportRun.objects.filter(
            workspace=workspace,
            status__in=[RunStatus.PARTLY_SENT, RunStatus.FAILED],
            deliveries__status=DeliveryStatus.FAILED,
        ).values_list("pk", flat=True)
    )
    return render(
        request, "reports/schedules/deliveries.html", {"page": page, "retryable": retryable}
    )


@workspace_required(Action.MANAGE_REPORTS)
@require_POST
def delivery_retry(request: WorkspaceRequest, run_id: int) -> HttpResponse:
    run = workspace_object_or_404(ReportRun, pk=run_id, workspace=request.membership.workspace)
    if report_run_retry(run=run):
        messages.success(request, _("The failed emails of this report are being sent again."))
    else:
        messages.warning(request, _("This report has no failed email to send again."))
    return redirect("report_schedules:deliveries", workspace_slug=run.workspace.slug)


@workspace_required(Action.MANAGE_REPORTS)
def review(request: WorkspaceRequest, run_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    run = workspace_object_or_404(
        ReportRun.objects.select_related("schedule", "template", "approved_by"),
        pk=run_id,
        workspace=workspace,
        schedule__isnull=False,
    )
    if request.method == "POST":
        # Browsers send a textarea's line breaks as CRLF: compare and store them as LF.
        commentary = request.POST.get("commentary", "").replace("\r\n", "\n")[:COMMENTARY_MAX]
        if request.POST.get("action") == "approve":
            if commentary != run.commentary.replace("\r\n", "\n") and (
                run.status == RunStatus.AWAITING_REVIEW
            ):
                # Sent as shown: an edited commentary must be rendered before it is approved.
                messages.warning(request, _("Save and re-render the draft before approving it."))
            elif report_run_approve(run=run, user=request.user):
                audit_record(
                    action=AuditAction.REPORT_RUN_APPROVED,
                    workspace=workspace,
                    request=request,
                    target=run,
                )
                messages.success(request, _("Approved: the report is being sent."))
                return redirect("report_schedules:deliveries", workspace_slug=workspace.slug)
            else:
                messages.warning(request, _("This report no longer awaits review."))
        else:
            rendered = report_review_rerender(run=run, commentary=commentary)
            if rendered is None:
                messages.warning(request, _("This report no longer awaits review."))
            elif rendered.status == RunStatus.FAILED:
                messages.error(request, _("The draft could not be rendered again."))
            else:
                messages.success(request, _("The draft is rendered again with your commentary."))
        return redirect("report_schedules:review", workspace_slug=workspace.slug, run_id=run.pk)
    recipients = schedule_recipients(schedule=run.schedule) if run.schedule else []
    return render(
        request,
        "reports/schedules/review.html",
        {
            "run": run,
            "recipients": recipients,
            "reviewers": schedule_reviewers(schedule=run.schedule) if run.schedule else [],
            "awaiting": run.status == RunStatus.AWAITING_REVIEW,
            "can_rerender": run.status in REVIEWABLE and not run.deliveries.exists(),
        },
    )
