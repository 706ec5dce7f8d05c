"""The Reports pages: the workspace's report templates, the builder and the preview.

Every member sees the templates, previews them and downloads them (a viewer is a manager's
audience); managers and admins compose them. The archive, the run page and the downloads are in
``views_report_runs``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Max
from django.forms import BoundField
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import AuditAction, audit_form_changes, audit_record, audit_target
from connectors.permissions import Action, role_can
from connectors.scoping import workspace_object_or_404
from dashboards.forms_reports import (
    DatesForm,
    ReportTemplateForm,
    SectionForm,
    kpi_choices,
    template_key,
)
from dashboards.reports import sections as report_sections
from dashboards.reports.build import (
    ReportScopeError,
    period_label,
    report_build,
    workspace_today,
)
from dashboards.reports.periods import report_period
from reporting.report_models import ReportFormat, ReportTemplate

# What a new template starts with: enough to preview at once, easy to extend.
STARTER_SECTIONS = [{"type": "cover"}, {"type": "summary"}, {"type": "data_notes"}]
ADD_FIELDS = ("kpi", "by", "kpis", "metric", "top", "bottom", "limit", "title", "text")


def section_summary(section: dict[str, Any], kpi_names: dict[str, str]) -> str:
    """The section's options in words, for the builder's list and the run page."""
    kind = section.get("type")
    if kind == report_sections.KPI_CHART:
        kpi = kpi_names.get(section.get("kpi", ""), section.get("kpi", ""))
        by = report_sections.BREAKDOWNS.get(section.get("by", ""), "")
        return f"{kpi}, {str(by).lower()}" if by else str(kpi)
    if kind == report_sections.SUMMARY:
        names = [kpi_names.get(key, key) for key in section.get("kpis") or []]
        return ", ".join(names) or _("The headline KPIs")
    if kind == report_sections.POSTS:
        metric = report_sections.RANK_METRICS.get(section.get("metric", ""), "")
        values = {"top": section.get("top", 0), "bottom": section.get("bottom", 0)}
        values["metric"] = str(metric).lower()
        if not values["bottom"]:
            return _("The %(top)s best by %(metric)s") % values
        return _("The %(top)s best and %(bottom)s weakest by %(metric)s") % values
    if kind in (report_sections.INSIGHTS, report_sections.RECOMMENDATIONS):
        return _("At most %(limit)s") % {"limit": section.get("limit", 5)}
    if kind in (report_sections.COVER, report_sections.COMMENTARY):
        title = section.get("title") or ""
        text = section.get("text") or ""
        if kind == report_sections.COMMENTARY and not text:
            return (title + " · " if title else "") + _("no text yet")
        if kind == report_sections.COVER:
            return title or _("Titled with the report's name")
        return title or text[:80] + ("…" if len(text) > 80 else "")
    spec = report_sections.SECTION_TYPES.get(str(kind))
    return str(spec.help) if spec else ""


def _template(request: WorkspaceRequest, template_id: int) -> ReportTemplate:
    return workspace_object_or_404(
        ReportTemplate.objects.select_related("workspace"),
        pk=template_id,
        workspace=request.membership.workspace,
    )


@dataclass(frozen=True)
class TemplateRow:
    template: ReportTemplate
    period: str  # the dates the report would cover if made today
    section_count: int
    last_run_at: dt.datetime | None
    run_count: int


@workspace_required(Action.VIEW)
def reports(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    today = workspace_today(workspace)
    templates = (
        ReportTemplate.objects.filter(workspace=workspace)
        .select_related("workspace")
        .annotate(last_run_at=Max("runs__created_at"), run_count=Count("runs"))
    )
    rows = []
    for template in templates:
        period = report_period(template, today=today)
        rows.append(
            TemplateRow(
                template=template,
                period=period_label(period.start, period.end),
                section_count=len(template.sections or []),
                last_run_at=template.last_run_at,
                run_count=template.run_count,
            )
        )
    context = {
        "rows": rows,
        "formats": ReportFormat.choices,
        "can_manage": role_can(request.membership.role, Action.MANAGE_REPORTS),
        "recent_runs": workspace.report_runs.select_related("template")[:5],
    }
    return render(request, "reports/list.html", context)


@dataclass
class SectionRow:
    index: int
    section: dict[str, Any]
    label: str
    summary: str
    form: SectionForm | None  # None for a type without options
    open: bool = False  # its edit panel shows (after a failed edit)

    @property
    def fields(self) -> list[BoundField]:
        return self.form.type_fields(self.section.get("type", "")) if self.form else []


def _builder(
    request: WorkspaceRequest,
    template: ReportTemplate,
    *,
    form: ReportTemplateForm | None = None,
    add_form: SectionForm | None = None,
    failed: tuple[int, SectionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = request.membership.workspace
    kpis = kpi_choices(workspace)
    names = dict(kpis)
    rows = []
    for index, section in enumerate(template.sections or []):
        kind = section.get("type", "")
        spec = report_sections.SECTION_TYPES.get(kind)
        section_form: SectionForm | None = None
        if kind in SectionForm.TYPE_FIELDS:
            section_form = SectionForm(
                prefix=f"s{index}",
                workspace=workspace,
                kpis=kpis,
                fixed_type=kind,
                initial=SectionForm.initial_for(section),
            )
        is_failed = failed is not None and failed[0] == index
        rows.append(
            SectionRow(
                index=index,
                section=section,
                label=str(spec.label) if spec else _("Unknown section"),
                summary=section_summary(section, names),
                form=failed[1] if failed is not None and is_failed else section_form,
                open=is_failed,
            )
        )
    used_once = {
        row.section.get("type")
        for row in rows
        if row.section.get("type") in report_sections.SECTION_TYPES
        and report_sections.SECTION_TYPES[row.section["type"]].once
    }
    add_form = add_form or SectionForm(prefix="add", workspace=workspace, kpis=kpis)
    context = {
        "template": template,
        "form": form or ReportTemplateForm(instance=template, workspace=workspace),
        "rows": rows,
        "add_form": add_form,
        "add_type": add_form["type"].value() or "",
        "formats": ReportFormat.choices,
        "section_types": [
            (key, spec, key in used_once) for key, spec in report_sections.SECTION_TYPES.items()
        ],
        # Each option field with the section types it applies to; reports.js shows only those
        # of the chosen type (without JavaScript every field shows and the others are ignored).
        "add_fields": [
            (
                add_form[name],
                " ".join(k for k, fields in SectionForm.TYPE_FIELDS.items() if name in fields),
            )
            for name in ADD_FIELDS
        ],
        "max_sections": report_sections.MAX_SECTIONS,
        "is_full": len(rows) >= report_sections.MAX_SECTIONS,
    }
    return render(request, "reports/builder.html", context, status=status)


def _edit_url(template: ReportTemplate, anchor: str = "") -> str:
    url = reverse(
        "reports:edit",
        kwargs={"workspace_slug": template.workspace.slug, "template_id": template.pk},
    )
    return f"{url}#{anchor}" if anchor else url


@workspace_required(Action.MANAGE_REPORTS)
def report_new(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    template = ReportTemplate(workspace=workspace, sections=list(STARTER_SECTIONS))
    form = ReportTemplateForm(
        request.POST if request.method == "POST" else None, instance=template, workspace=workspace
    )
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        changes = audit_form_changes(form)
        saved = form.save()
        audit_record(
            action=AuditAction.REPORT_TEMPLATE_CREATED,
            workspace=workspace,
            request=request,
            target=saved,
            changes=changes,
        )
        messages.success(
            request,
            _("The report “%(name)s” is created. Now choose its sections, in order.")
            % {"name": saved.name},
        )
        return redirect(_edit_url(saved, "sections"))
    return render(request, "reports/builder.html", {"template": None, "form": form})


@workspace_required(Action.MANAGE_REPORTS)
def report_edit(request: WorkspaceRequest, template_id: int) -> HttpResponse:
    template = _template(request, template_id)
    if request.method != "POST":
        return _builder(request, template)
    form = ReportTemplateForm(request.POST, instance=template, workspace=template.workspace)
    if not form.is_valid():
        return _builder(request, _template(request, template_id), form=form)
    changes = audit_form_changes(form)
    saved = form.save()
    if changes:
        audit_record(
            action=AuditAction.REPORT_TEMPLATE_UPDATED,
            workspace=saved.workspace,
            request=request,
            target=saved,
            changes=changes,
        )
    messages.success(request, _("The report “%(name)s” is saved.") % {"name": saved.name})
    return redirect(_edit_url(saved))


def _section_index(request: WorkspaceRequest, template: ReportTemplate) -> int | None:
    """The posted section's index, if it still points at the section the page showed."""
    try:
        index = int(request.POST.get("index", ""))
    except ValueError:
        return None
    sections = template.sections or []
    if not 0 <= index < len(sections):
        return None
    # Two tabs editing one report: a stale page must not move or delete the wrong section.
    if sections[index].get("type") != request.POST.get("expect"):
        return None
    return index


@workspace_required(Action.MANAGE_REPORTS)
@require_POST
def section_change(request: WorkspaceRequest, template_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    with transaction.atomic():
        template = workspace_object_or_404(
            ReportTemplate.objects.select_for_update().select_related("workspace"),
            pk=template_id,
            workspace=workspace,
        )
        sections: list[dict[str, Any]] = list(template.sections or [])
        operation = request.POST.get("op", "")
        if operation == "add":
            return _section_add(request, template, sections)
        index = _section_index(request, template)
        if index is None or operation not in ("up", "down", "remove", "update"):
            messages.error(
                request, _("The report changed in the meantime; look at it again and retry.")
            )
            return redirect(_edit_url(template, "sections"))
        anchor = f"section-{index}"
        if operation == "up" and index > 0:
            sections[index - 1], sections[index] = sections[index], sections[index - 1]
            anchor = f"section-{index - 1}"
        elif operation == "down" and index < len(sections) - 1:
            sections[index + 1], sections[index] = sections[index], sections[index + 1]
            anchor = f"section-{index + 1}"
        elif operation == "remove":
            removed = sections.pop(index)
            label = report_sections.SECTION_TYPES.get(removed.get("type", ""))
            messages.success(
                request,
                _("The section “%(label)s” is removed.")
                % {"label": label.label if label else removed.get("type")},
            )
            anchor = "sections"
        elif operation == "update":
            form = SectionForm(
                request.POST,
                prefix=f"s{index}",
                workspace=workspace,
                fixed_type=sections[index]["type"],
            )
            if not form.is_valid():
                return _builder(request, template, failed=(index, form))
            sections[index] = form.section
            messages.success(request, _("The section is saved."))
        template.sections = sections
        template.save(update_fields=["sections", "updated_at"])
        _sections_audit(request, template, operation)
    return redirect(_edit_url(template, anchor))


def _sections_audit(request: WorkspaceRequest, template: ReportTemplate, operation: str) -> None:
    # The sections are a long JSON list: the log says what was done to them, not the whole list.
    audit_record(
        action=AuditAction.REPORT_TEMPLATE_UPDATED,
        workspace=template.workspace,
        request=request,
        target=template,
        changes={"sections": operation},
    )


def _section_add(
    request: WorkspaceRequest, template: ReportTemplate, sections: list[dict[str, Any]]
) -> HttpResponse:
    form = SectionForm(request.POST, prefix="add", workspace=template.workspace)
    if form.is_valid():
        kind = form.section["type"]
        if len(sections) >= report_sections.MAX_SECTIONS:
            form.add_error(
                None,
                _("A report has at most %(count)s sections.")
                % {"count": report_sections.MAX_SECTIONS},
            )
        elif report_sections.SECTION_TYPES[kind].once and any(
            section.get("type") == kind for section in sections
        ):
            form.add_error(
                "type",
                _("This report already has a section “%(label)s”.")
                % {"label": report_sections.SECTION_TYPES[kind].label},
            )
    if not form.is_valid():
        return _builder(request, template, add_form=form)
    try:
        position = int(request.POST.get("position", len(sections)))
    except ValueError:
        position = len(sections)
    position = max(0, min(len(sections), position))
    sections.insert(position, form.section)
    template.sections = sections
    template.save(update_fields=["sections", "updated_at"])
    _sections_audit(request, template, "add")
    messages.success(
        request,
        _("The section “%(label)s” is added.")
        % {"label": report_sections.SECTION_TYPES[form.section["type"]].label},
    )
    return redirect(_edit_url(template, f"section-{position}"))


@workspace_required(Action.MANAGE_REPORTS)
@require_POST
def report_duplicate(request: WorkspaceRequest, template_id: int) -> HttpResponse:
    template = _template(request, template_id)
    name = _("Copy of %(name)s") % {"name": template.name}
    copy = ReportTemplate.objects.create(
        workspace=template.workspace,
        key=template_key(workspace=template.workspace, name=name),
        name=name[:120],
        description=template.description,
        sections=list(template.sections or []),
        period=template.period,
        fixed_start=template.fixed_start,
        fixed_end=template.fixed_end,
        compare=template.compare,
        account_ids=list(template.account_ids or []),
        platforms=list(template.platforms or []),
        tags=list(template.tags or []),
        language=template.language,
        created_by=request.user,
    )
    audit_record(
        action=AuditAction.REPORT_TEMPLATE_CREATED,
        workspace=copy.workspace,
        request=request,
        target=copy,
        changes={"copied_from": template.name},
    )
    messages.success(request, _("“%(name)s” is ready to edit.") % {"name": copy.name})
    return redirect(_edit_url(copy))


@workspace_required(Action.MANAGE_REPORTS)
def report_delete(request: WorkspaceRequest, template_id: int) -> HttpResponse:
    template = _template(request, template_id)
    if request.method == "POST":
        target = audit_target(template)
        template.delete()
        audit_record(
            action=AuditAction.REPORT_TEMPLATE_DELETED,
            workspace=template.workspace,
            request=request,
            target=target,
        )
        messages.success(request, _("The report “%(name)s” is deleted.") % {"name": template.name})
        return redirect("reports:list", workspace_slug=template.workspace.slug)
    context = {
        "template": template,
        "run_count": template.runs.count(),
        "schedule_count": template.schedules.count(),
    }
    return render(request, "reports/delete.html", context)


@workspace_required(Action.VIEW)
def report_preview(request: WorkspaceRequest, template_id: int) -> HttpResponse:
    template = _template(request, template_id)
    dates = DatesForm(request.GET or None)
    start = end = None
    if dates.is_bound and dates.is_valid():
        start, end = dates.cleaned_data.get("start"), dates.cleaned_data.get("end")
    try:
        document = report_build(template=template, start=start, end=end)
    except ReportScopeError as lost:
        messages.error(request, str(lost))
        return redirect(
            "reports:edit", workspace_slug=template.workspace.slug, template_id=template.pk
        )
    # Imported here: WeasyPrint, which the module loads, would otherwise slow every start-up.
    from dashboards.reports.render_pdf import report_html

    context = {
        "template": template,
        "document": document,
        # report_html escapes every user text itself (Django templates, autoescape on).
        "document_html": mark_safe(report_html(document, mode="web")),  # noqa: S308
        "dates": dates,
        "formats": ReportFormat.choices,
        "start": start,
        "end": end,
        "can_manage": role_can(request.membership.role, Action.MANAGE_REPORTS),
    }
    return render(request, "reports/preview.html", context)
