"""The Accounts page, an account's sync history, and the admin's actions on an account."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connectors.access import WorkspaceRequest, workspace_required
from connectors.audit import AuditAction, audit_record, audit_target
from connectors.demo.profiles import PROFILES_BY_EXTERNAL_ID
from connectors.models import (
    AccountMetric,
    AccountStatus,
    FileImport,
    PostMetric,
    SocialAccount,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    Workspace,
)
from connectors.oauth import platform_app, platform_apps
from connectors.permissions import Action, role_can
from connectors.registry import CONNECTORS
from connectors.scoping import workspace_object_or_404
from connectors.selectors import account_list
from connectors.sync import sync_run_request
from connectors.versioning import workspace_cached

HISTORY_PER_PAGE = 20
# A run queued longer ago than this is presumed lost (a worker died before taking it), so it no
# longer blocks "Sync now".
STALE_QUEUED = dt.timedelta(hours=1)


class Source:
    """Where an account's numbers come from, which decides what an admin can do with it."""

    API = "api"  # connected with OAuth: synced on schedule
    FILE = "file"  # no credentials: filled by importing export files
    DEMO = "demo"  # generated sample data


@dataclass(frozen=True)
class AccountRow:
    account: SocialAccount
    source: str
    first_day: dt.date | None
    last_day: dt.date | None
    latest_run: SyncRun | None
    problem: str  # the plain-words error to show, empty when there is none
    connectable: bool  # the platform has a connector and its app is configured

    @property
    def in_progress(self) -> bool:
        run = self.latest_run
        if run is None or run.status not in (SyncStatus.QUEUED, SyncStatus.RUNNING):
            return False
        return run.status == SyncStatus.RUNNING or timezone.now() - run.queued_at < STALE_QUEUED

    @property
    def can_sync(self) -> bool:
        return self.source == Source.API and self.account.status != AccountStatus.PAUSED


def account_source(account: SocialAccount, workspace: Workspace) -> str:
    # The demo's own accounts, as the demo seeder recognises them; an account imported into the
    # demo workspace is a file account like any other.
    profile = PROFILES_BY_EXTERNAL_ID.get(account.external_id)
    if workspace.is_demo and profile is not None and profile.platform == account.platform:
        return Source.DEMO
    if account.platform in CONNECTORS and account.credentials_encrypted:
        return Source.API
    return Source.FILE


def _connectable(platform: str) -> bool:
    try:
        return platform_app(platform).configured
    except KeyError:
        return False


def _spans(ids: list[int]) -> dict[int, tuple[dt.date, dt.date]]:
    """Each account's first and last day with any fact or post snapshot."""
    bounds: dict[int, tuple[dt.date, dt.date]] = {}
    spans = [
        AccountMetric.objects.filter(account_id__in=ids)
        .values_list("account_id")
        .annotate(first=Min("day"), last=Max("day")),
        PostMetric.objects.filter(post__account_id__in=ids)
        .values_list("post__account_id")
        .annotate(first=Min("day"), last=Max("day")),
    ]
    for span in spans:
        for key, first, last in span:
            known = bounds.get(key)
            bounds[key] = (min(known[0], first), max(known[1], last)) if known else (first, last)
    return bounds


def account_rows(*, workspace: Workspace, account: SocialAccount | None = None) -> list[AccountRow]:
    """Each account of ``workspace`` (or only ``account``) with its coverage, latest sync run
    and current problem; five queries whatever the number of accounts."""
    latest_run_id = (
        SyncRun.objects.filter(account=OuterRef("pk")).order_by("-queued_at").values("pk")[:1]
    )
    accounts_qs = account_list(workspace=workspace).select_related("sync_cursor")
    if account is not None:
        accounts_qs = accounts_qs.filter(pk=account.pk)
    accounts = list(accounts_qs.annotate(latest_run_id=Subquery(latest_run_id)))
    ids = [a.pk for a in accounts]
    runs = SyncRun.objects.in_bulk([a.latest_run_id for a in accounts if a.latest_run_id])
    # Reading every fact of a large workspace takes a second or more: kept until data changes.
    bounds = workspace_cached(workspace, "account-spans", lambda: _spans(ids), sorted(ids))

    rows = []
    for item in accounts:
        run = runs.get(item.latest_run_id) if item.latest_run_id else None
        first_last = bounds.get(item.pk)
        rows.append(
            AccountRow(
                account=item,
                source=account_source(item, workspace),
                first_day=first_last[0] if first_last else None,
                last_day=first_last[1] if first_last else None,
                latest_run=run,
                problem=_problem(item, run),
                connectable=_connectable(item.platform),
            )
        )
    return rows


def _problem(account: SocialAccount, run: SyncRun | None) -> str:
    failing = account.status in (AccountStatus.ERROR, AccountStatus.NEEDS_REAUTH) or (
        run is not None and run.status == SyncStatus.FAILED
    )
    if not failing:
        return ""
    if run is not None and run.error:
        return run.error
    cursor = getattr(account, "sync_cursor", None)
    if cursor is not None and cursor.last_error:
        return str(cursor.last_error)
    if account.status == AccountStatus.NEEDS_REAUTH:
        return _("The platform no longer accepts the saved authorisation.")
    return _("The last sync failed.")


def _base_context(request: WorkspaceRequest) -> dict[str, Any]:
    role = request.membership.role
    return {
        "can_manage": role_can(role, Action.MANAGE_ACCOUNTS),
        "can_export": role_can(role, Action.EXPORT_DATA),
    }


@workspace_required(Action.VIEW)
def accounts(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.membership.workspace
    context = _base_context(request)
    site = urlsplit(settings.SITE_URL)
    context.update(
        {
            "rows": account_rows(workspace=workspace),
            "platform_apps": platform_apps() if context["can_manage"] else [],
            # Providers send the browser back to SITE_URL; signed in under another address,
            # the admin would arrive there without a session and the connection would fail.
            "site_url_mismatch": site.netloc != request.get_host(),
            "site_url": settings.SITE_URL,
        }
    )
    return render(request, "connectors/accounts.html", context)


@workspace_required(Action.VIEW)
def account_detail(request: WorkspaceRequest, account_id: int) -> HttpResponse:
    workspace = request.membership.workspace
    account = workspace_object_or_404(SocialAccount, pk=account_id, workspace=workspace)
    paginator = Paginator(account.sync_runs.order_by("-queued_at", "-pk"), HISTORY_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = _base_context(request)
    context.update(
        {
            "row": account_rows(workspace=workspace, account=account)[0],
            "account": account,
            "page": page,
            "runs": [(run, run_duration(run)) for run in page.object_list],
            "imports": FileImport.objects.filter(account=account)
            .select_related("uploaded_by")
            .order_by("-created_at")[:10],
        }
    )
    return render(request, "connectors/account_detail.html", context)


def run_duration(run: SyncRun) -> str:
    """How long a finished run took, in words short enough for a table cell."""
    if run.started_at is None or run.finished_at is None:
        return ""
    seconds = max(0, round((run.finished_at - run.started_at).total_seconds()))
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": seconds}
    minutes, seconds = divmod(seconds, 60)
    return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": seconds}


def _account_for_action(request: WorkspaceRequest, account_id: int) -> SocialAccount:
    return workspace_object_or_404(
        SocialAccount, pk=account_id, workspace=request.membership.workspace
    )


def _back(request: WorkspaceRequest, account: SocialAccount) -> HttpResponse:
    slug = request.membership.workspace.slug
    if request.POST.get("next") == "detail":
        return redirect("connectors:account_detail", workspace_slug=slug, account_id=account.pk)
    return redirect("connectors:accounts", workspace_slug=slug)


@workspace_required(Action.MANAGE_ACCOUNTS)
@require_POST
def account_sync(request: WorkspaceRequest, account_id: int) -> HttpResponse:
    account = _account_for_action(request, account_id)
    row = account_rows(workspace=request.membership.workspace, account=account)[0]
    name = account.display_name
    if row.source == Source.DEMO:
        messages.info(request, _("Demo accounts are generated, not synced."))
    elif row.source == Source.FILE:
        messages.info(
            request,
            _("%(name)s is not connected to its platform: import a file to update it.")
            % {"name": name},
        )
    elif account.status == AccountStatus.PAUSED:
        messages.info(request, _("%(name)s is paused: resume it first.") % {"name": name})
    elif row.in_progress:
        messages.info(request, _("A sync of %(name)s is already under way.") % {"name": name})
    else:
        run = sync_run_request(account=account, trigger=SyncTrigger.MANUAL)
        audit_record(
            action=AuditAction.ACCOUNT_SYNC_REQUESTED,
            workspace=request.membership.workspace,
            request=request,
            target=account,
        )
        run.refresh_from_db()
        if run.status in (SyncStatus.QUEUED, SyncStatus.RUNNING):
            messages.success(
                request,
                _("Sync of %(name)s started. Its result appears in the history.") % {"name": name},
            )
        elif run.status == SyncStatus.FAILED:
            messages.error(
                request,
                _("Sync of %(name)s failed: %(error)s") % {"name": name, "error": run.error},
            )
        else:
            messages.success(request, _("Sync of %(name)s finished.") % {"name": name})
    return _back(request, account)


@workspace_required(Action.MANAGE_ACCOUNTS)
@require_POST
def account_pause(request: WorkspaceRequest, account_id: int) -> HttpResponse:
    account = _account_for_action(request, account_id)
    if SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.PAUSED):
        audit_record(
            action=AuditAction.ACCOUNT_PAUSED,
            workspace=request.membership.workspace,
            request=request,
            target=account,
            changes={"status": [account.status, AccountStatus.PAUSED]},
        )
    messages.success(
        request,
        _("%(name)s is paused: scheduled syncs skip it until you resume it.")
        % {"name": account.display_name},
    )
    return _back(request, account)


@workspace_required(Action.MANAGE_ACCOUNTS)
@require_POST
def account_resume(request: WorkspaceRequest, account_id: int) -> HttpResponse:
    account = _account_for_action(request, account_id)
    if SocialAccount.objects.filter(pk=account.pk, status=AccountStatus.PAUSED).update(
        status=AccountStatus.ACTIVE
    ):
        audit_record(
            action=AuditAction.ACCOUNT_RESUMED,
            workspace=request.membership.workspace,
            request=request,
            target=account,
            changes={"status": [AccountStatus.PAUSED, AccountStatus.ACTIVE]},
        )
    messages.success(
        request,
        _("%(name)s is active again: the next scheduled sync includes it.")
        % {"name": account.display_name},
    )
    return _back(request, account)


@workspace_required(Action.MANAGE_ACCOUNTS)
def account_remove(request: WorkspaceRequest, account_id: int) -> HttpResponse:
    account = _account_for_action(request, account_id)
    if request.method == "POST":
        name = account.display_name
        target = audit_target(account)
        account.delete()
        audit_record(
            action=AuditAction.ACCOUNT_REMOVED,
            workspace=request.membership.workspace,
            request=request,
            target=target,
        )
        messages.success(request, _("%(name)s and all its data were removed.") % {"name": name})
        return redirect("connectors:accounts", workspace_slug=request.membership.workspace.slug)
    counts = SocialAccount.objects.filter(pk=account.pk).aggregate(
        posts=Count("posts", distinct=True), days=Count("facts__day", distinct=True)
    )
    context = _base_context(request)
    context.update({"account": account, "counts": counts})
    return render(request, "connectors/account_remove.html", context)
