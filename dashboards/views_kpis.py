"""Goals, the KPI library and the glossary. Every member reads them; admins (MANAGE_KPIS)
create and edit goals and KPIs through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import AuditAction, audit_changes, audit_record, audit_snapshot, audit_target
from connectors.metrics import METRICS
from connectors.models import Workspace
from connectors.permissions import Action
from dashboards import charts
from dashboards.cache import workspace_cached
from dashboards.charts_goals import goal_chart
from dashboards.forms_kpis import GoalForm, KpiForm, form_error_from
from reporting.annotations import annotation_notes
from reporting.goals.selectors import GoalProgress, goal_get, goal_list_progress
from reporting.goals.services import goal_create, goal_delete, goal_update
from reporting.kpis.display import kpi_value_display
from reporting.kpis.engine import KpiResult, kpi_value
from reporting.kpis.selectors import kpi_list
from reporting.kpis.services import kpi_create, kpi_update
from reporting.models import Goal, KpiAggregation, KpiDefinition

LIBRARY_DAYS = 28
# What the audit log keeps of a goal's or a KPI's change.
GOAL_FIELDS = ("name", "kpi", "account", "period_kind", "start", "end", "target")
KPI_FIELDS = (
    "name_en",
    "name_fr",
    "description_en",
    "description_fr",
    "formula",
    "unit",
    "direction",
    "aggregation",
)


def _today(workspace: Workspace) -> dt.date:
    # Goal periods and "yesterday" are days in the workspace's reporting timezone.
    return timezone.localdate(timezone=ZoneInfo(workspace.timezone))


@dataclass(frozen=True)
class GoalCard:
    progress: GoalProgress
    figure: dict[str, Any]
    dom_id: str


@workspace_required(Action.VIEW)
def goals(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    today = _today(workspace)
    cards = workspace_cached(workspace, "goals", lambda: _goal_cards(workspace, today), today)
    return render(request, "goals/list.html", {"cards": cards, "today": today})


def _goal_cards(workspace: Workspace, today: dt.date) -> list[GoalCard]:
    cards = []
    for progress in goal_list_progress(workspace=workspace, today=today):
        notes = annotation_notes(
            workspace=workspace, start=progress.goal.start, end=progress.goal.end
        )
        figure = charts.annotations_add(
            goal_chart(
                progress.series,
                target=progress.target,
                unit=progress.unit,
                cumulative=progress.aggregation == KpiAggregation.SUM,
            ),
            notes,
        )
        cards.append(
            GoalCard(
                progress=progress,
                figure=charts.figure_json(figure),
                dom_id=f"goal-figure-{progress.goal.pk}",
            )
        )
    return cards


def _goal_form_page(request: WorkspaceRequest, goal: Goal | None) -> HttpResponse:
    workspace = request.membership.workspace
    today = _today(workspace)
    initial = GoalForm.initial_for(goal) if goal else {}
    form = GoalForm(
        request.POST if request.method == "POST" else None,
        workspace=workspace,
        today=today,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {
            "kpi": data["kpi"],
            "account": data["account"],
            "name": data["name"],
            "period_kind": data["period_kind"],
            "start": data["start"],
            "end": data["end"],
            "target": data["target"],
        }
        before = audit_snapshot(goal, GOAL_FIELDS) if goal else {}
        try:
            if goal is None:
                saved = goal_create(workspace=workspace, created_by=request.user, **values)
                messages.success(request, _("The goal was created."))
            else:
                saved = goal_update(goal=goal, **values)
                messages.success(request, _("The goal was saved."))
        except ValidationError as error:
            form_error_from(form, error)
        else:
            audit_record(
                action=AuditAction.GOAL_CREATED if goal is None else AuditAction.GOAL_UPDATED,
                workspace=workspace,
                request=request,
                target=saved,
                changes=audit_changes(before, audit_snapshot(saved, GOAL_FIELDS)),
            )
            return redirect("kpis:goals", workspace_slug=workspace.slug)
    return render(request, "goals/form.html", {"form": form, "goal": goal, "today": today})


@workspace_required(Action.MANAGE_KPIS)
def goal_new(request: WorkspaceRequest) -> HttpResponse:
    return _goal_form_page(request, None)


def _goal_or_404(request: WorkspaceRequest, goal_id: int) -> Goal:
    goal = goal_get(workspace=request.membership.workspace, goal_id=goal_id)
    if goal is None:
        raise Http404("No such goal.")
    return goal


@workspace_required(Action.MANAGE_KPIS)
def goal_edit(request: WorkspaceRequest, goal_id: int) -> HttpResponse:
    return _goal_form_page(request, _goal_or_404(request, goal_id))


@workspace_required(Action.MANAGE_KPIS)
def goal_remove(request: WorkspaceRequest, goal_id: int) -> HttpResponse:
    goal = _goal_or_404(request, goal_id)
    if request.method == "POST":
        target = audit_target(goal)
        goal_delete(goal=goal)
        audit_record(
            action=AuditAction.GOAL_DELETED,
            workspace=request.membership.workspace,
            request=request,
            target=target,
        )
        messages.success(request, _("The goal was deleted."))
        return redirect("kpis:goals", workspace_slug=request.membership.workspace.slug)
    return render(request, "goals/delete.html", {"goal": goal})


@dataclass(frozen=True)
class KpiRow:
    kpi: KpiDefinition
    result: KpiResult | None
    shown: str


def _library_value(workspace: Workspace, kpi: KpiDefinition, today: dt.date) -> KpiRow:
    start = today - dt.timedelta(days=LIBRARY_DAYS)
    result = kpi_value(workspace=workspace, kpi=kpi, start=start, end=today - dt.timedelta(days=1))
    return KpiRow(kpi=kpi, result=result, shown=kpi_value_display(result.value, result.unit))


@workspace_required(Action.VIEW)
def kpis(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    today = _today(workspace)
    rows = workspace_cached(
        workspace,
        "kpi-library",
        lambda: [_library_value(workspace, kpi, today) for kpi in kpi_list(workspace=workspace)],
        today,
    )
    return render(
        request,
        "kpis/list.html",
        {
            "rows": rows,
            "start": today - dt.timedelta(days=LIBRARY_DAYS),
            "end": today - dt.timedelta(days=1),
            "library_days": LIBRARY_DAYS,
        },
    )


def _kpi_or_404(request: WorkspaceRequest, key: str) -> KpiDefinition:
    kpi = kpi_list(workspace=request.membership.workspace).filter(key=key).first()
    if kpi is None:
        raise Http404("No such KPI.")
    return kpi


@workspace_required(Action.VIEW)
def kpi_detail(request: WorkspaceRequest, key: str) -> HttpResponse:
    workspace = request.membership.workspace
    kpi = _kpi_or_404(request, key)
    row = _library_value(workspace, kpi, _today(workspace))
    versions = kpi.versions.select_related("created_by").order_by("-number")
    return render(request, "kpis/detail.html", {"row": row, "kpi": kpi, "versions": versions})


def _kpi_form_page(request: WorkspaceRequest, kpi: KpiDefinition | None) -> HttpResponse:
    workspace = request.membership.workspace
    initial: dict[str, Any] = {}
    if kpi is not None:
        fields = ("name_en", "name_fr", "description_en", "description_fr", "formula")
        initial = {field: getattr(kpi, field) for field in fields}
        initial.update(unit=kpi.unit, direction=kpi.direction, aggregation=kpi.aggregation)
    form = KpiForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        editing=kpi is not None,
    )
    checked: tuple[str, ...] | None = None
    if request.method == "POST" and form.is_valid():
        if "check" in request.POST:
            # "Check the formula" validates without saving, so an admin can try formulas.
            checked = form.formula_metrics()
        else:
            data = {k: v for k, v in form.cleaned_data.items() if k != "key"}
            before = audit_snapshot(kpi, KPI_FIELDS) if kpi else {}
            try:
                if kpi is None:
                    saved = kpi_create(
                        workspace=workspace,
                        key=form.cleaned_data["key"],
                        created_by=request.user,
                        **data,
                    )
                    messages.success(request, _("The KPI was created."))
                else:
                    saved = kpi_update(kpi=kpi, created_by=request.user, **data)
                    messages.success(request, _("The KPI was saved."))
            except ValidationError as error:
                form_error_from(form, error)
            else:
                audit_record(
                    action=AuditAction.KPI_CREATED if kpi is None else AuditAction.KPI_UPDATED,
                    workspace=workspace,
                    request=request,
                    target=audit_target(saved, f"{saved.name_en} ({saved.key})"),
                    changes=audit_changes(before, audit_snapshot(saved, KPI_FIELDS)),
                )
                return redirect("kpis:kpi_detail", workspace_slug=workspace.slug, key=saved.key)
    return render(
        request,
        "kpis/form.html",
        {"form": form, "kpi": kpi, "checked": checked, "metrics": sorted(METRICS)},
    )


@workspace_required(Action.MANAGE_KPIS)
def kpi_new(request: WorkspaceRequest) -> HttpResponse:
    return _kpi_form_page(request, None)


@workspace_required(Action.MANAGE_KPIS)
def kpi_edit(request: WorkspaceRequest, key: str) -> HttpResponse:
    return _kpi_form_page(request, _kpi_or_404(request, key))


@workspace_required(Action.VIEW)
def glossary(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    return render(
        request,
        "kpis/glossary.html",
        {"kpis": list(kpi_list(workspace=workspace)), "metrics": list(METRICS.values())},
    )
