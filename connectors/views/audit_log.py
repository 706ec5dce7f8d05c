"""The audit log page of a workspace and its CSV export (admins only)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import audit_action_label, audit_changes_summary, audit_events_visible
from connectors.exports import cell_safe
from connectors.forms_members import AuditFilterForm
from connectors.models import AuditEvent, User, Workspace
from connectors.permissions import Action

PER_PAGE = 50


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    when: dt.datetime  # in the workspace's timezone
    who: str
    action: str
    target: str
    changes: str


def _row(event: AuditEvent, tz: ZoneInfo) -> AuditRow:
    return AuditRow(
        event=event,
        when=timezone.localtime(event.created_at, tz),
        who=event.actor_label or "–",
        action=audit_action_label(event.action),
        target=event.target_label,
        changes=audit_changes_summary(event.changes or {}),
    )


def _filtered(request: WorkspaceRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    workspace: Workspace = request.membership.workspace
    events = audit_events_visible(workspace=workspace)
    users = list(
        User.objects.filter(pk__in=events.exclude(actor=None).values("actor")).order_by("username")
    )
    form = AuditFilterForm(request.GET or None, users=users)
    if not form.is_valid():
        # An invalid filter shows its error and the whole log, never someone else's events.
        return form, events
    data = form.cleaned_data
    tz = ZoneInfo(workspace.timezone)
    if data.get("group"):
        events = events.filter(action__startswith=f"{data['group']}.")
    if data.get("user"):
        events = events.filter(actor_id=data["user"])
    # Days are the workspace's days, as on every other page.
    if data.get("start"):
        events = events.filter(created_at__gte=dt.datetime.combine(data["start"], dt.time(), tz))
    if data.get("end"):
        after = data["end"] + dt.timedelta(days=1)
        events = events.filter(created_at__lt=dt.datetime.combine(after, dt.time(), tz))
    return form, events


@workspace_required(Action.MANAGE_MEMBERS)
def audit_log(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form, events = _filtered(request)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    tz = ZoneInfo(workspace.timezone)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "connectors/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": [_row(event, tz) for event in page.object_list],
            "query": query.urlencode(),
        },
    )


def _csv_lines(events: QuerySet[AuditEvent], tz: ZoneInfo) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = [_("When"), _("Who"), _("Action"), _("Action key"), _("Target"), _("Changes"), "IP"]
    writer.writerow(header)
    for event in events.iterator(chunk_size=500):
        row = _row(event, tz)
        # Names, labels and changes are typed by users: neutralised so that a spreadsheet
        # never evaluates them as formulas.
        writer.writerow(
            [
                cell_safe(value)
                for value in (
                    row.when.isoformat(timespec="seconds"),
                    row.who,
                    row.action,
                    event.action,
                    row.target,
                    row.changes,
                    event.ip_address or "",
                )
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


@workspace_required(Action.MANAGE_MEMBERS)
def audit_log_export(request: WorkspaceRequest) -> StreamingHttpResponse:
    workspace = request.membership.workspace
    _form, events = _filtered(request)
    response = StreamingHttpResponse(
        _csv_lines(events, ZoneInfo(workspace.timezone)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate(timezone=ZoneInfo(workspace.timezone)).isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-{workspace.slug}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
