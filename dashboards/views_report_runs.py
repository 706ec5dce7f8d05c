"""Made reports: generate one, watch it render, download it, and the workspace's archive.

A run is the archive row of one rendering; every member may make and download one (a viewer is
a manager's audience). The file is streamed only for the run's own workspace.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.background import task_send
from connectors.access import WorkspaceRequest, workspace_required
from connectors.models import Platform
from connectors.permissions import Action, role_can
from connectors.scoping import workspace_object_or_404
from dashboards.forms_reports import GenerateForm, kpi_choices
from dashboards.reports import services
from dashboards.reports.sections import SECTION_TYPES
from dashboards.reports.tasks import run_render
from dashboards.views_reports import section_summary
from reporting.report_models import (
    ReportFormat,
    ReportRun,
    ReportTemplate,
    RollingPeriod,
    RunStatus,
)

ARCHIVE_PAGE_SIZE = 50
# Statuses after which a run's status no longer changes by itself (the page stops polling).
SETTLED = {
    RunStatus.READY,
    RunStatus.AWAITING_REVIEW,
    RunStatus.SENT,
    RunStatus.PARTLY_SENT,
    RunStatus.SKIPPED,
    RunStatus.FAILED,
}


def _run(request: WorkspaceRequest, run_id: int) -> ReportRun:
    return workspace_object_or_404(
        ReportRun.objects.select_related("workspace", "template", "schedule", "requested_by"),
        pk=run_id,
        workspace=request.membership.workspace,
    )


def _run_url(name: str, run: ReportRun) -> str:
    return reverse(name, kwargs={"workspace_slug": run.workspace.slug, "run_id": run.pk})


@workspace_required(Action.VIEW)
@require_POST
def report_generate(request: WorkspaceRequest, template_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    template = workspace_object_or_404(ReportTemplate, pk=template_id, workspace=workspace)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return redirect("reports:list", workspace_slug=workspace.slug)
    with transaction.atomic():
        run, _created = services.report_run_create(
            template=template,
            fmt=ReportFormat(form.cleaned_data["format"]),
            requested_by=request.user,
            start=form.cleaned_data.get("start"),
            end=form.cleaned_data.get("end"),
        )
        run_id = run.pk
        sent: list[bool] = []
        # The worker must find the row: enqueue once it is committed.
        transaction.on_commit(lambda: sent.append(task_send(run_render, run_id)))
    if sent == [False]:
        # The run stays queued in the database; the dispatcher sends it again once the queue
        # is back (dashboards.reports.delivery._on_demand_runs_recover).
        messages.warning(
            request,
            _(
                "The task queue is unreachable right now: the report is recorded and will be "
                "made once background work is back."
            ),
        )
    return redirect(_run_url("reports:run", run))


# What every member may download; a draft awaiting review (or a run being made or sent) is
# for those who manage reports until it is approved.
FINISHED = {RunStatus.READY, RunStatus.SENT, RunStatus.PARTLY_SENT}


def _status_payload(run: ReportRun, *, can_manage: bool) -> dict[str, Any]:
    ready = bool(run.file) and (
        run.status in FINISHED
        or (can_manage and run.status not in (RunStatus.QUEUED, RunStatus.RENDERING))
    )
    return {
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "progress": 100 if run.status in SETTLED else run.progress,
        "label": run.progress_label,
        "settled": run.status in SETTLED,
        "failed": run.status == RunStatus.FAILED,
        "error": run.error if run.status == RunStatus.FAILED else "",
        "download_url": _run_url("reports:download", run) if ready else None,
    }


@workspace_required(Action.VIEW)
def run_status(request: WorkspaceRequest, run_id: int) -> JsonResponse:
    can_manage = role_can(request.membership.role, Action.MANAGE_REPORTS)
    response = JsonResponse(_status_payload(_run(request, run_id), can_manage=can_manage))
    response["Cache-Control"] = "no-store"
    return response


def _file_response(run: ReportRun, *, data: bool) -> FileResponse:
    stored = run.data_file if data else run.file
    if not stored:
        raise Http404("This report has no file.")
    fmt = ReportFormat.XLSX if data else ReportFormat(run.format)
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The report's file is missing from storage.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=services.run_filename(run, data=data),
        content_type=services.CONTENT_TYPES[fmt],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _run_for_download(request: WorkspaceRequest, run_id: int) -> ReportRun:
    run = _run(request, run_id)
    if run.status not in FINISHED and not role_can(request.membership.role, Action.MANAGE_REPORTS):
        raise PermissionDenied
    return run


@workspace_required(Action.VIEW)
def run_download(request: WorkspaceRequest, run_id: int) -> FileResponse:
    return _file_response(_run_for_download(request, run_id), data=False)


@workspace_required(Action.VIEW)
def run_download_data(request: WorkspaceRequest, run_id: int) -> FileResponse:
    return _file_response(_run_for_download(request, run_id), data=True)


@dataclass(frozen=True)
class FreshnessRow:
    name: str
    platform: str
    last_sync: dt.datetime | None
    last_day: dt.date | None


def _freshness(run: ReportRun) -> list[FreshnessRow]:
    labels = dict(Platform.choices)
    rows = []
    for entry in (run.data_freshness or {}).values():
        if not isinstance(entry, dict):
            continue
        last_sync = parse_datetime(entry.get("last_sync") or "")
        last_day = parse_date(entry.get("last_day") or "")
        platform = str(entry.get("platform") or "")
        rows.append(
            FreshnessRow(
                name=str(entry.get("name") or ""),
                platform=str(labels.get(platform, platform)),
                last_sync=last_sync,
                last_day=last_day,
            )
        )
    return sorted(rows, key=lambda row: row.name.lower())


def _snapshot_sections(run: ReportRun, kpi_names: dict[str, str]) -> list[dict[str, str]]:
    sections = (run.template_snapshot or {}).get("sections") or []
    rows = []
    for section in sections:
        if not isinstance(section, dict) or section.get("type") not in SECTION_TYPES:
            continue
        rows.append(
            {
                "label": str(SECTION_TYPES[section["type"]].label),
                "summary": section_summary(section, kpi_names),
            }
        )
    return rows


def _snapshot_scope(run: ReportRun) -> dict[str, Any]:
    """The template's period rule and scope as they were when the run was made."""
    snapshot = run.template_snapshot or {}
    workspace = run.workspace
    accounts = dict(workspace.accounts.values_list("pk", "display_name"))
    platforms = dict(Platform.choices)
    period = snapshot.get("period")
    return {
        "rule": RollingPeriod(period).label if period in RollingPeriod.values else "",
        "accounts": [
            accounts.get(pk, _("account #%(id)s (removed)") % {"id": pk})
            for pk in snapshot.get("account_ids") or []
        ],
        "platforms": [str(platforms.get(key, key)) for key in snapshot.get("platforms") or []],
        "tags": list(snapshot.get("tags") or []),
    }


@workspace_required(Action.VIEW)
def run_detail(request: WorkspaceRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    kpi_names = dict(kpi_choices(run.workspace))
    can_manage = role_can(request.membership.role, Action.MANAGE_REPORTS)
    context = {
        "run": run,
        "status": _status_payload(run, can_manage=can_manage),
        "settled": run.status in SETTLED,
        "sections": _snapshot_sections(run, kpi_names),
        "scope": _snapshot_scope(run),
        "kpi_versions": sorted(
            (kpi_names.get(key, key), key, version)
            for key, version in (run.kpi_versions or {}).items()
        ),
        "freshness": _freshness(run),
        # Recipients' addresses and the mail server's errors are for those who manage reports.
        "deliveries": list(run.deliveries.all()) if can_manage else [],
        "can_manage": can_manage,
    }
    return render(request, "reports/run.html", context)


@workspace_required(Action.VIEW)
def archive(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    runs = (
        ReportRun.objects.filter(workspace=workspace)
        .select_related("template", "schedule", "requested_by")
        .annotate(recipient_count=Count("deliveries"))
        .order_by("-created_at", "-pk")
    )
    templates = list(ReportTemplate.objects.filter(workspace=workspace).order_by("name"))
    template_id = request.GET.get("template", "")
    if (
        template_id.isascii()
        and template_id.isdecimal()
        and any(t.pk == int(template_id) for t in templates)
    ):
        runs = runs.filter(template_id=int(template_id))
    else:
        template_id = ""
    status = request.GET.get("status", "")
    if status in RunStatus.values:
        runs = runs.filter(status=status)
    else:
        status = ""
    page = Paginator(runs, ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "templates": templates,
        "statuses": RunStatus.choices,
        "template_id": template_id,
        "status": status,
        "is_filtered": bool(template_id or status),
    }
    return render(request, "reports/archive.html", context)
