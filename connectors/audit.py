"""The audit log: one service records who did what, and one enum names every action.

Views call ``audit_record`` right after the change succeeded, with the request (the actor and
the address come from it); signal handlers in ``connectors.audit_signals`` record log-ins and
log-outs. What an event keeps of a change is the before and after of the fields that changed,
never a credential: ``audit_changes`` blanks any key that names a secret, so a caller that
passes a whole form's data cannot store a token by mistake.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.files import File
from django.db import models
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors.models import AuditEvent, Membership, User, Workspace
from connectors.sync.redact import REDACTED, secret_key_name


class AuditAction(models.TextChoices):
    KPI_CREATED = "kpi.created", _("KPI created")
    KPI_UPDATED = "kpi.updated", _("KPI changed")
    KPI_DELETED = "kpi.deleted", _("KPI deleted")
    GOAL_CREATED = "goal.created", _("Goal created")
    GOAL_UPDATED = "goal.updated", _("Goal changed")
    GOAL_DELETED = "goal.deleted", _("Goal deleted")
    ALERT_RULE_CREATED = "alert_rule.created", _("Alert created")
    ALERT_RULE_UPDATED = "alert_rule.updated", _("Alert changed")
    ALERT_RULE_DELETED = "alert_rule.deleted", _("Alert deleted")
    ACCOUNT_CONNECTED = "account.connected", _("Account connected")
    ACCOUNT_REAUTH = "account.reauth", _("Account re-authorised")
    ACCOUNT_REMOVED = "account.removed", _("Account removed")
    ACCOUNT_PAUSED = "account.paused", _("Account paused")
    ACCOUNT_RESUMED = "account.resumed", _("Account resumed")
    ACCOUNT_SYNC_REQUESTED = "account.sync_requested", _("Sync requested")
    IMPORT_CONFIRMED = "import.confirmed", _("File imported")
    REPORT_TEMPLATE_CREATED = "report_template.created", _("Report created")
    REPORT_TEMPLATE_UPDATED = "report_template.updated", _("Report changed")
    REPORT_TEMPLATE_DELETED = "report_template.deleted", _("Report deleted")
    REPORT_SCHEDULE_CREATED = "report_schedule.created", _("Schedule created")
    REPORT_SCHEDULE_UPDATED = "report_schedule.updated", _("Schedule changed")
    REPORT_SCHEDULE_DELETED = "report_schedule.deleted", _("Schedule deleted")
    REPORT_RUN_APPROVED = "report_run.approved", _("Report approved for sending")
    SHARE_LINK_CREATED = "share_link.created", _("Share link created")
    SHARE_LINK_REVOKED = "share_link.revoked", _("Share link revoked")
    MEMBER_ADDED = "member.added", _("Member added")
    MEMBER_ROLE_CHANGED = "member.role_changed", _("Member's role changed")
    MEMBER_REMOVED = "member.removed", _("Member removed")
    WORKSPACE_SETTINGS_CHANGED = "workspace.settings_changed", _("Workspace settings changed")
    AUTH_LOGIN = "auth.login", _("Logged in")
    AUTH_LOGIN_FAILED = "auth.login_failed", _("Failed log-in")
    AUTH_LOCKED_OUT = "auth.locked_out", _("Log-in locked after too many failures")
    AUTH_LOGOUT = "auth.logout", _("Logged out")
    AUTH_PASSWORD_CHANGED = "auth.password_changed", _("Password changed")
    AUTH_TWO_FACTOR_ENABLED = "auth.two_factor_enabled", _("Two-factor authentication turned on")
    AUTH_TWO_FACTOR_DISABLED = "auth.two_factor_disabled", _("Two-factor authentication turned off")
    AUTH_TWO_FACTOR_RESET = "auth.two_factor_reset", _("Two-factor authentication reset by staff")
    AUTH_RECOVERY_CODE_USED = "auth.recovery_code_used", _("Logged in with a recovery code")
    AUTH_RECOVERY_CODES_RENEWED = "auth.recovery_codes_renewed", _("New recovery codes made")
    AUTH_TWO_FACTOR_LOCKED_OUT = (
        "auth.two_factor_locked_out",
        _("Two-factor step locked after too many wrong codes"),
    )


# The log page's "what" filter: the part of an action key before the dot.
AUDIT_GROUPS: dict[str, Any] = {
    "kpi": _("KPIs"),
    "goal": _("Goals"),
    "alert_rule": _("Alerts"),
    "account": _("Accounts"),
    "import": _("Imports"),
    "report_template": _("Reports"),
    "report_schedule": _("Report schedules"),
    "report_run": _("Report approvals"),
    "share_link": _("Share links"),
    "member": _("Members"),
    "workspace": _("Workspace settings"),
    "auth": _("Log-ins and passwords"),
}

# Any key that names a secret (connectors.sync.redact.secret_key_name) is blanked, at any depth.


@dataclass(frozen=True)
class AuditTarget:
    type: str
    id: str
    label: str


def audit_target(obj: models.Model, label: str | None = None) -> AuditTarget:
    """What an event says about ``obj``; take it before deleting ``obj`` (its pk goes then)."""
    return AuditTarget(
        type=obj._meta.model_name or "",
        id="" if obj.pk is None else str(obj.pk),
        label=(str(obj) if label is None else label)[:255],
    )


def member_target(membership: Membership) -> AuditTarget:
    """What an event says about a membership: the member, by user id and name."""
    return AuditTarget(
        type="user", id=str(membership.user_id), label=actor_label(membership.user)[:255]
    )


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, File):
        # A file (an uploaded logo): its name only; iterating would read its content.
        return value.name or ""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return [_json_safe(v) for v in value]
    # A file field, a lazy string: its text, never its bytes.
    return str(value)


def audit_snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-safe values of ``fields`` of ``obj`` (related objects by their label)."""
    return {field: _json_safe(getattr(obj, field, None)) for field in fields}


def audit_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``{field: [before, after]}`` for each field whose value differs; secrets redacted."""
    changed: dict[str, Any] = {}
    for field in sorted(set(before) | set(after)):
        old, new = _json_safe(before.get(field)), _json_safe(after.get(field))
        if old == new:
            continue
        if secret_key_name(field):
            changed[field] = [REDACTED if old else "", REDACTED if new else ""]
        else:
            changed[field] = [_redact(old), _redact(new)]
    return changed


def audit_form_changes(form: forms.BaseForm) -> dict[str, Any]:
    """The fields a bound, valid form changed, as ``audit_changes`` stores them (a new object's
    form: every field given a value, from nothing)."""
    changed = form.changed_data
    return audit_changes(
        {field: form.initial.get(field) for field in changed},
        {field: form.cleaned_data.get(field) for field in changed},
    )


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (REDACTED if secret_key_name(key) and item else _redact(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the peer, or behind the operator's proxy (BEHIND_HTTPS_PROXY) the
    address that proxy appended last to X-Forwarded-For. Earlier entries are whatever the
    client sent, so they are never trusted."""
    candidate = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "BEHIND_HTTPS_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            candidate = hops[-1]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def actor_label(user: User) -> str:
    full_name = user.get_full_name()
    username = user.get_username()
    return f"{full_name} ({username})" if full_name else username


def audit_record(
    *,
    action: AuditAction,
    workspace: Workspace | None,
    request: HttpRequest | None = None,
    actor: User | None = None,
    target: models.Model | AuditTarget | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. The actor is ``actor``, else the request's authenticated user.

    ``changes`` is stored through ``_redact``: keys naming a secret never keep their value.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if isinstance(target, models.Model):
        target = audit_target(target)
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor,
        actor_label=actor_label(actor)[:200] if actor is not None else "",
        action=str(action),
        target_type=target.type if target else "",
        target_id=target.id if target else "",
        target_label=target.label if target else "",
        changes=_redact(_json_safe(dict(changes or {}))),
        ip_address=client_ip(request) if request is not None else None,
    )


def audit_action_label(action: str) -> str:
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action  # an action from a newer or older version: its key is still readable


def audit_events_visible(*, workspace: Workspace) -> QuerySet[AuditEvent]:
    """The events a workspace's admins see: the workspace's own, and the installation-wide ones
    (log-ins, password and two-factor events) of its current members from the day they joined,
    about themselves. Another workspace's events, the log-ins of people outside this workspace,
    a member's history from before they joined (an admin who adds an address must not learn
    where its owner logged in from last year), and what a member did to other users (a staff
    reset) never appear."""
    joined_before = Membership.objects.filter(
        workspace=workspace, user=OuterRef("actor"), created_at__lte=OuterRef("created_at")
    )
    about_themselves = ~Q(target_type="user") | Q(target_id=Cast("actor_id", CharField()))
    return AuditEvent.objects.filter(
        Q(workspace=workspace)
        | (Q(workspace__isnull=True) & Exists(joined_before) & about_themselves)
    ).select_related("actor")


def audit_prune(*, older_than_days: int, now: dt.datetime | None = None) -> int:
    """Delete events older than ``older_than_days`` days; returns how many went."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=older_than_days)
    deleted, _counts = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def audit_changes_summary(changes: Mapping[str, Any]) -> str:
    """One line for people: ``field: before → after; field: value``."""
    parts = []
    for field, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            before, after = (_short(item) for item in value)
            parts.append(f"{field}: {before} → {after}")
        else:
            parts.append(f"{field}: {_short(value)}")
    return "; ".join(parts)


def _short(value: Any, limit: int = 80) -> str:
    text = "–" if value in (None, "", [], {}) else str(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"
