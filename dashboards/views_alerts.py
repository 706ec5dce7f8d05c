"""The Alerts pages: every member sees the rules and what they noticed; admins manage them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import AuditAction, audit_form_changes, audit_record, audit_target
from connectors.permissions import Action, role_can
from connectors.scoping import workspace_object_or_404
from dashboards.forms_alerts import AlertRuleForm
from reporting.alert_models import (
    AlertComparison,
    AlertDelivery,
    AlertEvent,
    AlertKind,
    AlertRule,
)
from reporting.alerts.conditions import alert_kinds_available
from reporting.alerts.messages import alert_message
from reporting.alerts.services import alert_test_send
from reporting.kpis.display import kpi_value_display

RECENT_EVENTS = 50


def webhook_host(url: str) -> str:
    """Only the host is shown: an incoming webhook's path is its secret."""
    return urlsplit(url).hostname or ""


def rule_condition(rule: AlertRule) -> str:
    """The rule's condition in words, in the active language."""
    where = rule.account.display_name if rule.account else _("all accounts")
    if rule.kind == AlertKind.KPI_THRESHOLD and rule.kpi is not None:
        values = {
            "kpi": rule.kpi.name,
            "threshold": kpi_value_display(rule.threshold, rule.kpi.unit),
            "days": rule.window_days,
            "where": where,
        }
        if rule.comparison == AlertComparison.ABOVE:
            return _("%(kpi)s above %(threshold)s over the last %(days)s days (%(where)s)") % values
        return _("%(kpi)s below %(threshold)s over the last %(days)s days (%(where)s)") % values
    if rule.kind == AlertKind.DATA_STOPPED:
        return _("No new data for %(days)s days or more (%(where)s)") % {
            "days": rule.stale_days,
            "where": where,
        }
    if rule.kind == AlertKind.NEEDS_REAUTH:
        return _("An account must be reconnected (%(where)s)") % {"where": where}
    if rule.kind == AlertKind.GOAL_OFF_TRACK:
        return _("A goal of the workspace goes off track")
    if rule.kind == AlertKind.ANOMALY:
        return _("Unusual %(metric)s in the last %(days)s days (%(where)s)") % {
            "metric": rule.metric,
            "days": rule.window_days,
            "where": where,
        }
    return str(rule.get_kind_display())


def rule_channels(rule: AlertRule) -> list[str]:
    channels = []
    if rule.email_enabled:
        names = [user.get_username() for user in rule.recipients.all()]
        channels.append(
            _("Email to %(names)s") % {"names": ", ".join(names)}
            if names
            else _("Email to the admins")
        )
    if rule.webhook_url:
        channels.append(_("Webhook to %(host)s") % {"host": webhook_host(rule.webhook_url)})
    return channels


@dataclass(frozen=True)
class RuleRow:
    rule: AlertRule
    condition: str
    channels: list[str]


@dataclass(frozen=True)
class DeliveryRow:
    delivery: AlertDelivery
    target: str  # an email address, or a webhook's host only


@dataclass(frozen=True)
class EventRow:
    event: AlertEvent
    title: str
    deliveries: list[DeliveryRow]


def _target(delivery: AlertDelivery) -> str:
    if delivery.channel == "webhook":
        return webhook_host(delivery.target)
    return delivery.target


@workspace_required(Action.VIEW)
def alerts(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    rules = (
        AlertRule.objects.filter(workspace=workspace)
        .select_related("kpi", "account")
        .prefetch_related("recipients")
        .order_by("name")
    )
    events = (
        AlertEvent.objects.filter(rule__workspace=workspace)
        .select_related("rule__workspace")
        .prefetch_related(
            Prefetch("deliveries", queryset=AlertDelivery.objects.order_by("channel", "target"))
        )
        .order_by("-started_at", "-pk")[:RECENT_EVENTS]
    )
    event_rows = []
    for event in events:
        event_rows.append(
            EventRow(
                event=event,
                title=alert_message(event=event).title,
                deliveries=[DeliveryRow(d, _target(d)) for d in event.deliveries.all()],
            )
        )
    context: dict[str, Any] = {
        "rule_rows": [RuleRow(rule, rule_condition(rule), rule_channels(rule)) for rule in rules],
        "event_rows": event_rows,
        "kinds": [(kind.value, kind.label) for kind in alert_kinds_available()],
        "can_manage": role_can(request.membership.role, Action.MANAGE_KPIS),
        "language": get_language(),
    }
    return render(request, "alerts/list.html", context)


def _kind(request: WorkspaceRequest, rule: AlertRule | None) -> str:
    if rule is not None:
        return rule.kind
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    if kind not in alert_kinds_available():
        raise Http404("No such kind of alert.")
    return kind


def _edit(request: WorkspaceRequest, rule: AlertRule | None) -> HttpResponse:
    workspace = request.membership.workspace
    kind = _kind(request, rule)
    form = AlertRuleForm(
        request.POST if request.method == "POST" else None,
        instance=rule,
        workspace=workspace,
        kind=kind,
    )
    if request.method == "POST" and form.is_valid():
        if rule is None:
            form.instance.created_by = request.user
        changes = audit_form_changes(form)
        saved = form.save()
        audit_record(
            action=AuditAction.ALERT_RULE_CREATED
            if rule is None
            else AuditAction.ALERT_RULE_UPDATED,
            workspace=workspace,
            request=request,
            target=saved,
            changes=changes,
        )
        messages.success(request, _("The alert “%(name)s” is saved.") % {"name": saved.name})
        return redirect("alerts:list", workspace_slug=workspace.slug)
    return render(
        request,
        "alerts/form.html",
        {"form": form, "rule": rule, "kind": kind, "kind_label": AlertKind(kind).label},
    )


@workspace_required(Action.MANAGE_KPIS)
def alert_create(request: WorkspaceRequest) -> HttpResponse:
    return _edit(request, None)


@workspace_required(Action.MANAGE_KPIS)
def alert_edit(request: WorkspaceRequest, rule_id: int) -> HttpResponse:
    rule = workspace_object_or_404(AlertRule, pk=rule_id, workspace=request.membership.workspace)
    return _edit(request, rule)


@workspace_required(Action.MANAGE_KPIS)
def alert_delete(request: WorkspaceRequest, rule_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    rule = workspace_object_or_404(AlertRule, pk=rule_id, workspace=workspace)
    if request.method == "POST":
        target = audit_target(rule)
        rule.delete()
        audit_record(
            action=AuditAction.ALERT_RULE_DELETED,
            workspace=workspace,
            request=request,
            target=target,
        )
        messages.success(request, _("The alert “%(name)s” is deleted.") % {"name": rule.name})
        return redirect("alerts:list", workspace_slug=workspace.slug)
    return render(request, "alerts/delete.html", {"rule": rule, "event_count": rule.events.count()})


@workspace_required(Action.MANAGE_KPIS)
@require_POST
def alert_test(request: WorkspaceRequest, rule_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    rule = workspace_object_or_404(AlertRule, pk=rule_id, workspace=workspace)
    outcomes = alert_test_send(rule=rule)
    if not outcomes:
        messages.warning(request, _("This alert has no recipient with an email address."))
    for outcome in outcomes:
        target = webhook_host(outcome.target) if outcome.channel == "webhook" else outcome.target
        if outcome.error:
            messages.error(
                request,
                _("The test to %(target)s failed: %(error)s")
                % {"target": target, "error": outcome.error},
            )
        else:
            messages.success(request, _("A test was sent to %(target)s.") % {"target": target})
    return redirect("alerts:list", workspace_slug=workspace.slug)
